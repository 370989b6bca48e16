"""A real worker process holding a real model, driven through the core client."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from ifcscript_desktop.core.client import Request, WorkerClient

LIMITS = {"timeout_s": 60, "memory_mb": 2048, "output_cap": 10 * 1024 * 1024,
          "outputs_max_bytes": 1 << 30, "outputs_max_files": 10_000}


@pytest.fixture(scope="module")
def worker(request: pytest.FixtureRequest) -> Iterator[WorkerClient]:
    """One worker per test module with the FZK house open (parsed once for the module)."""
    house = Path(__file__).parents[1] / "fixtures" / "AC20-FZK-Haus.ifc"
    client = WorkerClient()
    client.call("open", timeout=120, path=str(house))
    client.model_path = str(house)
    yield client
    client.close()


def run(client: WorkerClient, code: str, tmp_path: Path, wait: float = 120, **fields: Any) -> Request:
    """Run `code` and wait for its final reply."""
    out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
    request = client.run({"code": code, "filename": "<test>", "params": {}, "granted": [],
                          "selection": [], "previous": {}, "output_dir": str(out),
                          "limits": {**LIMITS, **fields.pop("limits", {})}, **fields})
    assert request.wait(wait), "the run did not finish"
    return request


def start_run(client: WorkerClient, code: str, tmp_path: Path, **limits: Any) -> tuple[Request, int]:
    """Start a run and wait until its child is running; return the request and the child's pid."""
    started = threading.Event()
    pids: list[int] = []

    def on_event(request: Request, event: dict[str, Any]) -> None:
        if event.get("event") == "started":
            pids.append(int(event["pid"]))
            started.set()

    request = client.run({"code": code, "filename": "<test>", "params": {}, "granted": [],
                          "selection": [], "previous": {}, "output_dir": str(tmp_path / "out"),
                          "limits": {**LIMITS, **limits}}, on_event=on_event)
    assert started.wait(60), "the run did not start"
    return request, pids[0]
