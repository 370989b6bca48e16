"""The worker loop in-process, for what a subprocess cannot show: a platform without fork."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ifcscript_desktop.core.protocol import FrameDecoder, encode
from ifcscript_desktop.worker.server import NO_FORK, Worker


def test_without_fork_runs_are_refused_with_a_sentence(house: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    to_worker_r, to_worker_w = os.pipe()
    from_worker_r, from_worker_w = os.pipe()
    monkeypatch.delattr(os, "fork")
    worker = Worker(to_worker_r, from_worker_w)
    os.write(to_worker_w, encode({"id": 1, "op": "open", "path": str(house)}))
    os.write(to_worker_w, encode({"id": 2, "op": "run", "code": "result = 1", "output_dir": str(tmp_path)}))
    os.write(to_worker_w, encode({"id": 3, "op": "shutdown"}))
    worker.serve()
    os.close(from_worker_w)
    data = b""
    while chunk := os.read(from_worker_r, 1 << 16):
        data += chunk
    finals = {m["id"]: m for m in FrameDecoder().feed(data) if m.get("done")}
    assert finals[1]["ok"] and finals[1]["info"]["elements"] == 127
    assert not finals[2]["ok"] and finals[2]["error"] == NO_FORK
    assert worker.spare is None
