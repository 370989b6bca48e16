"""The tree's search box (issue 12), run by `bench/run.py --only search`: the worker's `search`
request for names against a bare ifcopenshell loop doing the same name match.

On a worker that already holds the size's synthetic model (names such as "Wall 03-00017"):

- first search: the first `search` request after the open, request to reply, for a whole name
  ("Slab 00-00002", one match): it makes the lookup arrays from the model index
  (`worker/search.py`), so it is the slowest name search a user waits for. Target: < 100 ms.
- name search: request-to-reply latency of name queries typed as a user would ("xyz" finds
  nothing, "-00017" a few per storey, "beam 01-000" tens, a whole name one, "wall 0" thousands
  and is capped at 5000 rows), each repeated, median of all; the worker's own time (`search_s`
  in the reply) beside it. The worker also tries the text as a GlobalId prefix and a class word,
  which the bare loop does not. Target: < 100 ms.
- bare: in a fresh process holding the same model, `[p for p in model.by_type("IfcProduct") if
  text in (p.Name or "").lower()]` for the same queries, its parse not counted; median.

    python bench/run.py --size 100k --only search    # --size tiny to check that it works
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FIRST_QUERY = "Slab 00-00002"
QUERIES = ("xyz", "-00017", "beam 01-000", "Slab 00-00002", "wall 0")
REPEATS = 5
TARGET_S = 0.100


def bare(model: Path, queries: tuple[str, ...], repeats: int) -> dict[str, Any]:
    """The bare loop, in this process (run as `search_bench.py --bare MODEL`)."""
    import ifcopenshell

    loaded = ifcopenshell.open(str(model))
    samples: list[float] = []
    hits: dict[str, int] = {}
    for _ in range(repeats):
        for text in queries:
            lowered = text.lower()
            started = time.perf_counter()
            found = [p for p in loaded.by_type("IfcProduct") if lowered in (p.Name or "").lower()]
            samples.append(time.perf_counter() - started)
            hits[text] = len(found)
    return {"samples_s": samples, "hits": hits}


def bench(size: str, model: Path, tmp: Path, harness: Any) -> dict[str, Any]:
    """The `search` benchmark on the size's model."""
    median, row, fmt = harness.median, harness.row, harness.fmt
    worker = harness.Worker(tmp / "search-worker")
    ours: list[float] = []
    inside: list[float] = []
    totals: dict[str, int] = {}
    try:
        worker.open(model)
        started = time.perf_counter()
        first = worker.client.call("search", timeout=harness.WAIT_S, text=FIRST_QUERY)
        first_s = time.perf_counter() - started
        for _ in range(REPEATS):
            for text in QUERIES:
                started = time.perf_counter()
                reply = worker.client.call("search", timeout=harness.WAIT_S, text=text)
                ours.append(time.perf_counter() - started)
                inside.append(float(reply["search_s"]))
                totals[text] = int(reply["total"])
    finally:
        worker.close()
    command = [sys.executable, str(Path(__file__).resolve()), "--bare", str(model)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise harness.BenchError(f"the bare search loop failed: {done.stderr.strip()[-500:]}")
    loop = json.loads(done.stdout.strip().splitlines()[-1])
    load = [round(x, 2) for x in os.getloadavg()]
    same = all(loop["hits"][t] <= totals[t] for t in QUERIES)  # ours also matches GlobalIds
    note = (f"queries {', '.join(repr(q) for q in QUERIES)} x{REPEATS}, matches "
            f"{', '.join(str(totals[q]) for q in QUERIES)}; in the worker "
            f"{fmt(median(inside), 's')} (max {fmt(max(inside), 's')}); load average after "
            f"{load[0]:.2f}" + ("" if same else "; the bare loop found more: a bug"))
    return {
        "queries": list(QUERIES), "repeats": REPEATS, "totals": totals, "bare_hits": loop["hits"],
        "samples": {"request_s": ours, "worker_s": inside, "bare_s": loop["samples_s"],
                    "first_s": first_s},
        "first_search_worker_s": first.get("search_s"), "loadavg_after": load,
        "rows": [
            row("name search: `search` request to reply vs a bare by_type(\"IfcProduct\") loop "
                "matching Name", median(ours), median(loop["samples_s"]), "s", "< 100 ms",
                TARGET_S, compare="value", note=note),
            row(f"first name search after open ('{FIRST_QUERY}': makes the lookup arrays)",
                first_s, None, "s", "< 100 ms", TARGET_S, compare="value",
                note=f"in the worker {fmt(first.get('search_s'), 's')}"),
        ],
    }


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--bare":
        print(json.dumps(bare(Path(argv[1]), QUERIES, REPEATS)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
