"""Copy-on-write between the worker and the processes it forks (issue 13), run by
`bench/run.py --only cow`.

A worker holds the parsed model and its index; the run template is forked from it and every
run child from the template, so they share its pages until one of them writes to a page. Two
causes made them stop sharing, and this benchmark keeps both in sight:

- glibc's free lists: after the index and property rows are built, freed chunks sit on the
  unsorted bin, and the first `malloc` in a forked child sorts it, writing into every page with a
  free chunk (fixed by `worker.heap.settle` before each fork);
- drift: runs must not leave the template or its spare with private copies of the shared pages.

On a worker opened through the client API as the window opens one (`open`, then the
`properties` request its handle sends once the tree is shown: the rows are made in the worker
and the template forked again):

- first run: request to reply of `TOUCH_SCRIPT` (reads `entities` and `properties`);
- after one run: `Private_Dirty` of the worker, the template and the spare child
  (/proc/PID/smaps_rollup: what each holds for itself alone) and the PSS of all of them,
  against the RSS of a bare `ifcopenshell.open` process (`bench/bare.py memory`);
- after ten runs of different scripts (`SCRIPTS`): the same again: no creep.

Targets: PSS <= 1.2x bare RSS after one run, <= 1.25x after ten; the spare's private pages are
reported (a few MB: its own stack and the pages its fork touched).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from procs import process_tree

#: Ten runs of different kinds, as a user's session might have them.
SCRIPTS = (
    "result = [len(entities), len(properties)]\n",
    "result = int(properties.df['value'].notna().sum())\n",
    "result = sum(1 for e in entities if e.ifc_type == 'IfcWall')\n",
    "show_table([e.as_dict() for e in entities[:2000]])\nresult = 1\n",
    "import pandas as pd\ndf = properties.df\nresult = df.groupby('pset').size().to_dict()\n",
    "result = [len(systems), len(materials), len(types)]\n",
    "walls = select('IfcWall')\nresult = len(walls)\n",
    "result = {k: len(v) for k, v in list(get_properties(model.by_type('IfcWall')[0]).items())}\n",
    "highlight([e for e in entities[:500]])\nresult = 'ok'\n",
    "rows = properties.for_entity(entities[0])\nresult = len(rows)\n",
)


def _kb(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    found[key] = int(value.split()[0])
    except OSError:
        pass  # a process that ended between the listing and the read
    return found


def snapshot(worker_pid: int) -> dict[str, Any]:
    """Per process of the worker's tree: its role, PSS and Private_Dirty in MB."""
    tree = process_tree(worker_pid)
    roles = {worker_pid: "worker"}
    for pid in tree:
        if pid == worker_pid:
            continue
        try:
            with open(f"/proc/{pid}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        roles[pid] = "template" if parent == worker_pid else "spare"
    processes = []
    for pid in tree:
        sizes = _kb(pid)
        if sizes:
            processes.append({"pid": pid, "role": roles.get(pid, "other"),
                              "pss_mb": sizes.get("Pss", 0) / 1024,
                              "private_dirty_mb": sizes.get("Private_Dirty", 0) / 1024})
    return {"processes": processes, "pss_mb": sum(p["pss_mb"] for p in processes)}


def wait_for_spare(worker_pid: int, timeout_s: float = 30.0) -> None:
    """Until the template has forked the next run's spare child (it does so after each run, a
    moment after the reply): the memory is measured with every process a run would find."""
    ends = time.monotonic() + timeout_s
    while len(_alive(process_tree(worker_pid))) < 3 and time.monotonic() < ends:
        time.sleep(0.05)  # a benchmark waiting on another process's fork; no signal to wait on


def _alive(pids: list[int]) -> list[int]:
    """The processes that have not ended: an ended run child stays listed while the kernel
    frees its memory and until it is reaped (a zombie), with no memory left."""
    return [pid for pid in pids if _kb(pid).get("Rss", 0) > 0]


def _private(snap: dict[str, Any], role: str) -> float:
    return sum(p["private_dirty_mb"] for p in snap["processes"] if p["role"] == role)


def bench(size: str, model: Path, tmp: Path, harness: Any) -> dict[str, Any]:
    """The `cow` benchmark on the size's model."""
    row, fmt = harness.row, harness.fmt
    worker = harness.Worker(tmp / "cow-worker")
    try:
        worker.open(model)
        worker.client.call("properties", timeout=harness.WAIT_S)  # as the window asks
        first_s, _ = worker.run(SCRIPTS[0])
        worker.ping()
        wait_for_spare(worker.client.worker_pid)
        after_one = snapshot(worker.client.worker_pid)
        for code in SCRIPTS[1:]:
            time.sleep(harness.IDLE_GAP_S)  # the deliberate idle gap, not synchronisation
            worker.run(code)
        worker.ping()
        wait_for_spare(worker.client.worker_pid)
        after_ten = snapshot(worker.client.worker_pid)
    finally:
        worker.close()
    bare = harness.bare_json("memory", str(model))["rss_mb"]

    def detail(snap: dict[str, Any]) -> str:
        return (f"Private_Dirty: worker {fmt(_private(snap, 'worker'), 'MB')}, template "
                f"{fmt(_private(snap, 'template'), 'MB')}, spare "
                f"{fmt(_private(snap, 'spare'), 'MB')}; {len(snap['processes'])} processes")

    largest = size == harness.LARGEST
    return {
        "first_run_s": first_s, "after_one": after_one, "after_ten": after_ten,
        "bare_rss_mb": bare,
        "rows": [
            row("first run after the open and the property rows (reads entities, properties)",
                first_s, None, "s", "report", None),
            row("worker + children PSS after open and one run vs bare RSS after open",
                after_one["pss_mb"], bare, "MB", "<= 1.2x bare", 1.2, applies=largest,
                note=detail(after_one)),
            row("the same after ten runs of different scripts (no creep)",
                after_ten["pss_mb"], bare, "MB", "<= 1.25x bare", 1.25, applies=largest,
                note=detail(after_ten)),
            row("the spare child's own pages (Private_Dirty) after ten runs",
                _private(after_ten, "spare"), None, "MB", "report", None),
        ],
    }
