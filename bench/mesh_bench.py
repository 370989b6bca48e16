"""Meshing benchmark (issue 11): the worker's `mesh` request vs a bare `ifcopenshell.geom.iterator`.

    python bench/mesh_bench.py [--size 2k|20k|100k|tiny] [--reps 3] [--warm-runs 15] [--json]

Standalone (not wired into `bench/run.py`; it writes nothing under bench/results or docs/):

- total: the `mesh` request's wall time (request sent to final reply: the mesher's fork, the
  iterator, reading every shape's buffers, writing the batch files and the manifest) on a worker
  that already holds the model, vs a bare loop (`iterator.get()` / `iterator.next()` over every
  shape) in a fresh process over the same file, with the same settings (`worker.mesh.SETTINGS`)
  and threads (`os.cpu_count()`), its parse not counted. Repetitions interleave ours and bare;
  medians. Target: <= 1.1x. The mesher runs at nice 19; `--bare-nice 19` runs the bare loop at
  the same priority, which is the fair comparison when other work shares the cores (on an idle
  machine the two agree).
- warm: the request-to-reply latency of a trivial run (`result = 1`) on a warm worker while it
  is idle vs while it meshes the model (nice 19); only runs that ended before the meshing did
  count. Target: <= 2x idle.

The machine's load average is printed with the figures: other work on the cores skews both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import synthetic  # noqa: E402

from ifcscript_desktop.core.client import Request, WorkerClient  # noqa: E402

LIMITS = {"timeout_s": 600, "memory_mb": 8192, "output_cap": 10 * 1024 * 1024,
          "outputs_max_bytes": 1 << 30, "outputs_max_files": 10_000}

BARE = """
import json, os, sys, time
import ifcopenshell, ifcopenshell.geom
from ifcscript_desktop.worker.mesh import geom_settings
os.nice(int(sys.argv[2]))
model = ifcopenshell.open(sys.argv[1])
started = time.perf_counter()
iterator = ifcopenshell.geom.iterator(geom_settings(), model, num_threads=os.cpu_count() or 1)
shapes = 0
if iterator.initialize():
    while True:
        iterator.get()
        shapes += 1
        if not iterator.next():
            break
print(json.dumps({"seconds": time.perf_counter() - started, "shapes": shapes}))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bare(model: Path, nice: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", BARE, str(model), str(nice)],
                          capture_output=True, text=True, cwd=BENCH.parent)
    if done.returncode != 0:
        raise RuntimeError(f"the bare loop failed: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def ours(client: WorkerClient, cache: Path) -> dict[str, Any]:
    started = time.perf_counter()
    request = client.mesh(str(cache))
    if not request.wait(3600) or not request.ok or request.reply is None:
        raise RuntimeError(f"meshing failed: {request.error}")
    seconds = time.perf_counter() - started
    reply = request.reply
    return {"seconds": seconds, "elements": reply["elements"], "geometries": reply["geometries"],
            "batches": len(reply["batches"]), "without_geometry": reply["without_geometry"],
            "failed": reply["failed_count"],
            "bytes": sum(p.stat().st_size for p in cache.iterdir())}


def trivial_run(client: WorkerClient, out: Path) -> float:
    started = time.perf_counter()
    request = client.run({"code": "result = 1\n", "filename": "<bench>", "params": {},
                          "granted": [], "selection": [], "previous": {}, "output_dir": str(out),
                          "limits": LIMITS})
    if not request.wait(600) or not request.reply or request.reply.get("status") != "success":
        raise RuntimeError(f"a trivial run failed: {request.reply}")
    return time.perf_counter() - started


def warm(client: WorkerClient, tmp: Path, runs: int) -> dict[str, Any]:
    gap = 0.3
    counter = iter(range(1_000_000))
    trivial_run(client, tmp / f"run-{next(counter)}")  # the first run warms the template
    idle = []
    for _ in range(runs):
        time.sleep(gap)
        idle.append(trivial_run(client, tmp / f"run-{next(counter)}"))
    meshing: list[float] = []
    request: Request = client.mesh(str(tmp / "warm-cache"))
    while len(meshing) < runs:
        time.sleep(gap)
        took = trivial_run(client, tmp / f"run-{next(counter)}")
        if request.done:
            break
        meshing.append(took)
    request.wait(3600)
    return {"idle_ms": statistics.median(idle) * 1000,
            "meshing_ms": statistics.median(meshing) * 1000 if meshing else None,
            "runs_while_meshing": len(meshing)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="20k")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=15)
    parser.add_argument("--bare-nice", type=int, default=0, help="the bare loop's nice value")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    model = synthetic.ensure_model(args.size, log=log)
    figures: dict[str, Any] = {"size": args.size, "model": model.name, "threads": os.cpu_count(),
                               "bare_nice": args.bare_nice,
                               "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="mesh-bench-") as name:
        tmp = Path(name)
        client = WorkerClient()
        try:
            started = time.perf_counter()
            client.call("open", timeout=3600, path=str(model))
            client.model_path = str(model)
            log(f"opened {model.name} in {time.perf_counter() - started:.1f} s")
            ours_s, bare_s = [], []
            for rep in range(args.reps):
                result = ours(client, tmp / f"cache-{rep}")
                ours_s.append(result["seconds"])
                log(f"  ours {result['seconds']:.2f} s ({result['elements']} elements, "
                    f"{result['geometries']} geometries, {result['batches']} batches, "
                    f"{result['bytes'] / 1e6:.1f} MB)")
                figures["mesh"] = result
                reference = bare(model, args.bare_nice)
                bare_s.append(reference["seconds"])
                figures["bare_shapes"] = reference["shapes"]
                log(f"  bare {reference['seconds']:.2f} s ({reference['shapes']} shapes)")
            figures["ours_s"] = statistics.median(ours_s)
            figures["bare_s"] = statistics.median(bare_s)
            figures["ratio"] = figures["ours_s"] / figures["bare_s"]
            if args.warm_runs:
                figures["warm"] = warm(client, tmp, args.warm_runs)
        finally:
            client.close()
    figures["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(f"meshing {figures['model']}: ours {figures['ours_s']:.2f} s (nice 19), bare iterator "
          f"{figures['bare_s']:.2f} s (nice {args.bare_nice}), ratio {figures['ratio']:.2f}x "
          f"(target <= 1.1x); "
          f"{figures['mesh']['elements']} elements, {figures['mesh']['geometries']} geometries, "
          f"{figures['mesh']['bytes'] / 1e6:.1f} MB of cache")
    warm_figures = figures.get("warm")
    if warm_figures and warm_figures["meshing_ms"] is not None:
        print(f"warm trivial run: idle {warm_figures['idle_ms']:.0f} ms, while meshing "
              f"{warm_figures['meshing_ms']:.0f} ms ({warm_figures['runs_while_meshing']} runs), "
              f"{warm_figures['meshing_ms'] / warm_figures['idle_ms']:.2f}x (target <= 2x)")
    print(f"load average: {figures['loadavg_at_start']} at start, "
          f"{figures['loadavg_at_end']} at end")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
