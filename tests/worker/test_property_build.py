"""The property rows: made on first use, and the same whether read in one process or several."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ifcopenshell
import pytest

from ifcscript_desktop.worker import propertyread
from ifcscript_desktop.worker.modelindex import ModelIndex
from ifcscript_desktop.worker.propertysets import SetReader
from tests.worker.test_modelindex import EDGE_MODEL, expected_psets, indexed_psets

FIXTURES = Path(__file__).parents[1] / "fixtures"
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="reading in parallel forks")
HEAD = ("ISO-10303-21;\nHEADER;FILE_DESCRIPTION((''),'2;1');FILE_NAME('','',(''),(''),'','','');"
        "FILE_SCHEMA(('IFC4'));ENDSEC;\nDATA;\n")


def generated_model(walls: int, owner_history: bool) -> ifcopenshell.file:
    """Walls with their own sets, sets shared between walls, a typed pset, a set defined twice
    under one name, a set definition set and a bounded value (valued by util.element)."""
    lines: list[str] = []

    def add(text: str) -> int:
        lines.append(f"#{len(lines) + 1}={text};")
        return len(lines)

    guid = iter(f"{i:022d}" for i in range(1, 10**6))
    owner = "$"
    if owner_history:
        person = add("IFCPERSON($,'Doe','Jane',$,$,$,$,$)")
        org = add("IFCORGANIZATION($,'Org',$,$,$)")
        user = add(f"IFCPERSONANDORGANIZATION(#{person},#{org},$)")
        app = add(f"IFCAPPLICATION(#{org},'1','App','App')")
        owner = f"#{add(f'IFCOWNERHISTORY(#{user},#{app},$,.ADDED.,$,$,$,0)')}"
    shared_props = [add(f"IFCPROPERTYSINGLEVALUE('Shared{j}',$,IFCLABEL('S{j}'),$)")
                    for j in range(3)]
    shared = add(f"IFCPROPERTYSET('{next(guid)}',{owner},'Pset_Shared',$,"
                 f"({','.join(f'#{p}' for p in shared_props)}))")
    type_prop = add("IFCPROPERTYSINGLEVALUE('FireRating',$,IFCLABEL('EI30'),$)")
    type_pset = add(f"IFCPROPERTYSET('{next(guid)}',{owner},'Pset_WallCommon',$,(#{type_prop}))")
    wall_type = add(f"IFCWALLTYPE('{next(guid)}',{owner},'WT',$,$,(#{type_pset}),$,$,$,.NOTDEFINED.)")
    ids = []
    for i in range(walls):
        wall = add(f"IFCWALL('{next(guid)}',{owner},'W{i}',$,$,$,$,$,.NOTDEFINED.)")
        ids.append(wall)
        props = [add(f"IFCPROPERTYSINGLEVALUE('Reference',$,IFCIDENTIFIER('R{i}'),$)"),
                 add(f"IFCPROPERTYSINGLEVALUE('Width',$,IFCLENGTHMEASURE({i * 0.5}),$)"),
                 add("IFCPROPERTYENUMERATEDVALUE('Finish',$,(IFCLABEL('A'),IFCLABEL('B')),$)"),
                 shared_props[i % 3]]  # a property shared with another set
        if i % 5 == 0:
            props.append(add("IFCPROPERTYSINGLEVALUE('FireRating',$,IFCLABEL('EI90'),$)"))
        if i % 13 == 0:  # a large set (read in one call) among small ones of the same name
            props += [add(f"IFCPROPERTYSINGLEVALUE('Extra{j}',$,IFCINTEGER({j}),$)")
                      for j in range(12)]
        own = add(f"IFCPROPERTYSET('{next(guid)}',{owner},'Pset_WallCommon',$,"
                  f"({','.join(f'#{p}' for p in props)}))")
        quantity = add(f"IFCQUANTITYLENGTH('Length',$,$,{i + 1.0},$)")
        qto = add(f"IFCELEMENTQUANTITY('{next(guid)}',{owner},'Qto_WallBaseQuantities',$,$,"
                  f"(#{quantity}))")
        add(f"IFCRELDEFINESBYPROPERTIES('{next(guid)}',{owner},$,$,(#{wall}),#{own})")
        add(f"IFCRELDEFINESBYPROPERTIES('{next(guid)}',{owner},$,$,(#{wall}),#{qto})")
        if i % 7 == 0:  # the same pset name twice: the later set's values win
            again = add(f"IFCPROPERTYSINGLEVALUE('Reference',$,IFCIDENTIFIER('X{i}'),$)")
            twice = add(f"IFCPROPERTYSET('{next(guid)}',{owner},'Pset_WallCommon',$,(#{again}))")
            add(f"IFCRELDEFINESBYPROPERTIES('{next(guid)}',{owner},$,$,(#{wall}),#{twice})")
        if i % 11 == 0:
            bounded = add("IFCPROPERTYBOUNDEDVALUE('Range',$,IFCREAL(5.),IFCREAL(1.),$,$)")
            odd = add(f"IFCPROPERTYSET('{next(guid)}',{owner},'Pset_Odd',$,(#{bounded}))")
            extra = add(f"IFCPROPERTYSET('{next(guid)}',{owner},'Pset_Extra',$,(#{props[0]}))")
            add(f"IFCRELDEFINESBYPROPERTIES('{next(guid)}',{owner},$,$,(#{wall}),"
                f"IFCPROPERTYSETDEFINITIONSET((#{odd},#{extra})))")
    for start in range(0, walls, 40):  # one shared set per 40 walls, through one relationship
        members = ",".join(f"#{w}" for w in ids[start:start + 40])
        add(f"IFCRELDEFINESBYPROPERTIES('{next(guid)}',{owner},$,$,({members}),#{shared})")
    typed = ",".join(f"#{w}" for w in ids[::2])
    add(f"IFCRELDEFINESBYTYPE('{next(guid)}',{owner},$,$,({typed}),#{wall_type})")
    return ifcopenshell.file.from_string(HEAD + "\n".join(lines) + "\nENDSEC;\nEND-ISO-10303-21;\n")


@pytest.fixture(scope="module", params=[False, True], ids=["no-owner-history", "owner-history"])
def generated(request: pytest.FixtureRequest) -> ifcopenshell.file:
    return generated_model(300, owner_history=request.param)


def rows(index: ModelIndex) -> tuple[Any, ...]:
    properties = index.properties
    return tuple(properties.columns.values()), properties._offsets


def test_generated_rows_are_the_values_get_psets_gives(generated: ifcopenshell.file) -> None:
    index = ModelIndex.build(generated)
    for wall in generated.by_type("IfcWall"):
        assert indexed_psets(index, wall.id()) == expected_psets(wall), wall


def test_properties_are_not_built_with_the_index(generated: ifcopenshell.file) -> None:
    index = ModelIndex.build(generated)
    assert not index.properties_built and not index.properties.built
    assert "not read yet" in repr(index) and "not read yet" in repr(index.properties)
    assert "property_sets_s" not in index.timings
    assert len(index.entities) == 300


def test_first_use_builds_them_in_this_process(generated: ifcopenshell.file) -> None:
    index = ModelIndex.build(generated)
    properties = index.properties
    assert len(properties) > 300 * 5  # any use: here len()
    assert index.properties_built and index.properties is properties
    assert index.timings["property_processes"] == 1
    assert index.ensure_properties() is properties  # made once: nothing left to do


@needs_fork
def test_parallel_read_gives_exactly_the_serial_rows(generated: ifcopenshell.file) -> None:
    serial = ModelIndex.build(generated)
    serial.ensure_properties(processes=1)
    parallel = ModelIndex.build(generated)
    parallel.ensure_properties(processes=3, min_relations=10)
    assert parallel.timings["property_processes"] == 3
    assert rows(parallel) == rows(serial)
    assert len(serial.properties) > 300 * 5
    # Every kind of definition the model has went through a forked process.
    found = {(r.pset, r.source) for r in parallel.properties}
    assert {("Pset_WallCommon", "type"), ("Pset_WallCommon", "occurrence"), ("Pset_Shared", "occurrence"),
            ("Pset_Odd", "occurrence"), ("Pset_Extra", "occurrence")} <= found


def test_small_models_are_read_in_this_process(generated: ifcopenshell.file) -> None:
    index = ModelIndex.build(generated)
    index.ensure_properties(processes=3)  # far fewer relationships than the threshold
    assert index.timings["property_processes"] == 1


def test_parallel_read_of_uncommon_values_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    model = ifcopenshell.file.from_string(EDGE_MODEL)
    serial = ModelIndex.build(model)
    serial.ensure_properties(processes=1)
    parallel = ModelIndex.build(model)
    parallel.ensure_properties(processes=4, min_relations=0)
    assert rows(parallel) == rows(serial)


@needs_fork
def test_slices_of_a_failed_reading_process_are_read_again(
        generated: ifcopenshell.file, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    parent = os.getpid()

    def crash_after_taking_one(reader: SetReader, slices: Any, queue: int) -> Any:
        if os.getpid() == parent:
            return {}  # leaves every slice to the readers
        os.read(queue, 4)  # a slice taken, never sent
        os._exit(3)

    monkeypatch.setattr(propertyread, "_take_slices", crash_after_taking_one)
    serial = ModelIndex.build(generated)
    serial.ensure_properties(processes=1)
    index = ModelIndex.build(generated)
    index.ensure_properties(processes=3, min_relations=10)
    assert rows(index) == rows(serial)
    assert "a property reading process failed" in caplog.text


@needs_fork
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_reading_processes_keep_only_their_pipes(generated: ifcopenshell.file, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A descriptor such as the worker's client channel is closed in the forked readers."""
    parent, take_slices = os.getpid(), propertyread._take_slices
    channel = os.pipe()

    def reporting_descriptors(reader: SetReader, slices: Any, queue: int) -> Any:
        if os.getpid() != parent:
            fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
            (tmp_path / f"fds-{os.getpid()}").write_text(" ".join(map(str, fds + [queue])))
        return take_slices(reader, slices, queue)

    monkeypatch.setattr(propertyread, "_take_slices", reporting_descriptors)
    try:
        _, processes = propertyread.read_property_sets(generated, 3, min_relations=10)
    finally:
        for fd in channel:
            os.close(fd)
    assert processes == 3
    reports = [[int(fd) for fd in path.read_text().split()] for path in tmp_path.iterdir()]
    assert len(reports) == 2
    for *open_in_child, queue in reports:
        assert not set(open_in_child) & set(channel)
        # Besides stdio and the slice queue: the result pipe and the listing's own descriptor.
        assert 1 <= len(set(open_in_child) - {0, 1, 2, queue}) <= 2


def test_real_models_read_in_parallel_match(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AC20-FZK-Haus.ifc", "LargeBuilding.ifc"):
        model = ifcopenshell.open(str(FIXTURES / name))
        serial = ModelIndex.build(model)
        serial.ensure_properties(processes=1)
        parallel = ModelIndex.build(model)
        parallel.ensure_properties(processes=2, min_relations=0)
        assert rows(parallel) == rows(serial), name


@needs_fork
def test_properties_read_while_the_rest_is_indexed(generated: ifcopenshell.file) -> None:
    serial = ModelIndex.build(generated)
    serial.ensure_properties(processes=1)
    index = ModelIndex.build(generated, properties=True, processes=3, min_relations=10)
    assert index.properties_built and index.timings["property_processes"] == 3
    assert rows(index) == rows(serial)


@needs_fork
def test_reading_processes_are_stopped_when_the_index_fails(
        generated: ifcopenshell.file, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    reader_init = propertyread._Reader.__init__

    def remembering(self: Any, *args: Any) -> None:
        reader_init(self, *args)
        started.append(self.pid)

    def failing(*args: Any) -> None:
        raise RuntimeError("indexing failed")

    monkeypatch.setattr(propertyread._Reader, "__init__", remembering)
    monkeypatch.setattr(ModelIndex, "_build", failing)
    with pytest.raises(RuntimeError, match="indexing failed"):
        ModelIndex.build(generated, properties=True, processes=3, min_relations=10)
    assert len(started) == 2
    for pid in started:  # reaped: not even a zombie is left
        assert not os.path.exists(f"/proc/{pid}")
