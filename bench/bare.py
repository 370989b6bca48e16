"""The bare-ifcopenshell side of the benchmarks, run as its own process by `bench/run.py`.

    python bench/bare.py memory MODEL             # RSS after ifcopenshell.open, nothing else imported
    python bench/bare.py context MODEL REPS [STRIDE]
    python bench/bare.py index MODEL              # the worker's ModelIndex built in a plain process

Each prints one JSON object on stdout. `context` times what a user would write without the app:
a `by_type("IfcProduct")` loop reading GlobalId, a one-pass loop over the relationships producing
the rows of `properties`, and a per-element `get_psets` loop producing the same rows (on every
STRIDE-th product only when STRIDE > 1, the figure then extrapolated to all products).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

import ifcopenshell

COLUMNS = ["entity_id", "ifc_guid", "pset", "name", "value", "kind", "source"]


def _status() -> dict[str, int]:
    """VmRSS, VmHWM (kB) and Pss (kB) of this process."""
    found: dict[str, int] = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line.split(":")[0]] = int(line.split()[1])
    with open("/proc/self/smaps_rollup") as handle:
        for line in handle:
            if line.startswith("Pss:"):
                found["Pss"] = int(line.split()[1])
    return found


def memory(path: str) -> dict[str, Any]:
    model = ifcopenshell.open(path)
    status = _status()
    return {"rss_mb": status["VmRSS"] / 1024, "hwm_mb": status["VmHWM"] / 1024,
            "pss_mb": status["Pss"] / 1024, "products": len(model.by_type("IfcProduct"))}


def guid_loop(model: ifcopenshell.file) -> int:
    n = 0
    for p in model.by_type("IfcProduct"):
        g = p.GlobalId  # noqa: F841 - the read is what is timed
        n += 1
    return n


def _definition_values(definition: Any) -> tuple[str, list[tuple[str, Any]]]:
    """(kind, [(name, value)]) of a property set or element quantity, values as stored."""
    if definition.is_a("IfcElementQuantity"):
        return "qto", [(q.Name, q[3]) for q in definition.Quantities]
    values = []
    if definition.is_a("IfcPropertySet"):
        for prop in definition.HasProperties:
            if prop.is_a("IfcPropertySingleValue"):
                v = prop.NominalValue
                values.append((prop.Name, None if v is None else v.wrappedValue))
            elif prop.is_a("IfcPropertyEnumeratedValue"):
                vs = prop.EnumerationValues
                values.append((prop.Name, [v.wrappedValue for v in vs] if vs else None))
            elif prop.is_a("IfcPropertyListValue"):
                vs = prop.ListValues
                values.append((prop.Name, [v.wrappedValue for v in vs] if vs else None))
    return "pset", values


def one_pass_rows(model: ifcopenshell.file) -> list[tuple[Any, ...]]:
    """The rows of `properties` from one pass over the relationships (occurrence and type).

    The synthetic models have no occurrence set that redefines a type's set, so this loop does not
    merge them the way get_psets does.
    """
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    for rel in model.by_type("IfcRelDefinesByProperties"):
        definition = rel.RelatingPropertyDefinition
        kind, values = _definition_values(definition)
        pset = definition.Name
        for obj in rel.RelatedObjects:
            if not obj.is_a("IfcProduct"):
                continue
            oid, guid = obj.id(), obj.GlobalId
            for name, value in values:
                append((oid, guid, pset, name, value, kind, "occurrence"))
    for rel in model.by_type("IfcRelDefinesByType"):
        segments = [(d.Name, *_definition_values(d)) for d in rel.RelatingType.HasPropertySets or ()]
        for obj in rel.RelatedObjects:
            oid, guid = obj.id(), obj.GlobalId
            for pset, kind, values in segments:
                for name, value in values:
                    append((oid, guid, pset, name, value, kind, "type"))
    return rows


def get_psets_rows(products: Any) -> list[tuple[Any, ...]]:
    import ifcopenshell.util.element as element

    rows: list[tuple[Any, ...]] = []
    for p in products:
        oid, guid = p.id(), p.GlobalId
        for pset, values in element.get_psets(p).items():
            for name, value in values.items():
                if name != "id":
                    rows.append((oid, guid, pset, name, value, None, None))
    return rows


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - started, out


def context(path: str, reps: int, stride: int = 1) -> dict[str, Any]:
    import pandas as pd

    model = ifcopenshell.open(path)
    products = model.by_type("IfcProduct")
    guid_s, one_pass_s, get_psets_s = [], [], []
    rows = sample_rows = 0
    for _ in range(reps):
        elapsed, n = _timed(guid_loop, model)
        guid_s.append(elapsed)
        elapsed, df = _timed(lambda: pd.DataFrame(one_pass_rows(model), columns=COLUMNS))
        one_pass_s.append(elapsed)
        rows = len(df)
        del df
        sample = products[::stride]
        elapsed, df = _timed(lambda: pd.DataFrame(get_psets_rows(sample), columns=COLUMNS))
        get_psets_s.append(elapsed * len(products) / len(sample))
        sample_rows = len(df)
        del df
    return {"products": len(products), "guid_loop_s": statistics.median(guid_s),
            "one_pass_s": statistics.median(one_pass_s), "one_pass_rows": rows,
            "get_psets_s": statistics.median(get_psets_s), "get_psets_sampled": stride > 1,
            "get_psets_stride": stride, "get_psets_sample_rows": sample_rows,
            "samples": {"guid_loop_s": guid_s, "one_pass_s": one_pass_s, "get_psets_s": get_psets_s}}


def index(path: str) -> dict[str, Any]:
    import pandas  # noqa: F401 - preloaded in a run too: its import is not the DataFrame's cost

    from ifcscript_desktop.worker.modelindex import ModelIndex

    model = ifcopenshell.open(path)
    elapsed, built = _timed(ModelIndex.build, model, path)
    df_s, df = _timed(lambda: built.properties.df)
    return {"build_s": elapsed, "phases": dict(getattr(built, "timings", {}) or {}),
            "entities": len(built.entities), "properties": len(built.properties),
            "df_in_process_s": df_s, "rows": len(df)}


def main(argv: list[str]) -> int:
    mode, path = argv[0], argv[1]
    if mode == "memory":
        out = memory(path)
    elif mode == "context":
        out = context(path, int(argv[2]), int(argv[3]) if len(argv) > 3 else 1)
    elif mode == "index":
        out = index(path)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
