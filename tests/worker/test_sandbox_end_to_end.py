"""The sandbox corpus through the real path: client -> worker process -> forked run child.

`test_sandbox_layers` proves each layer in a bare fork; this proves the product wires them all
up: every attack ends the run as `error` naming the refusal, with no effect, even when caught.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from typing import Iterator

import pytest

from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.core.transport import SubprocessTransport
from tests.conftest import FIXTURES
from tests.worker.conftest import LIMITS, run
from tests.worker.test_sandbox_layers import ATTACKS, SECRET, SECRET_VAR, attempt


@pytest.fixture(scope="module")
def secret_worker() -> Iterator[WorkerClient]:
    """A worker whose own environment holds a secret the scripts must never see."""
    env = {**os.environ, SECRET_VAR: SECRET}
    client = WorkerClient(lambda: SubprocessTransport(env=env))
    client.call("open", timeout=120, path=str(FIXTURES / "AC20-FZK-Haus.ifc"))
    yield client
    client.close()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _prelude(root: Path, out: Path, port: int) -> str:
    names = {"OUT": str(out), "SECRET_FILE": str(root / "secret.txt"), "CANARY": str(root / "canary"),
             "GRANTED_CSV": str(root / "granted.csv"), "GRANTED_IFC": str(root / "granted.ifc"),
             "OTHER_IFC": str(root / "other.ifc"), "PORT": port, "SECRET_VAR": SECRET_VAR,
             "CHANNEL_FD": 3}
    return "".join(f"{k} = {v!r}\n" for k, v in names.items())


@pytest.mark.parametrize("code, expected", [pytest.param(c, e, id=i) for i, c, e in ATTACKS])
def test_attack_through_the_worker(code: str, expected: str, secret_worker: WorkerClient,
                                   tmp_path: Path, listener: socket.socket) -> None:
    (tmp_path / "secret.txt").write_text(f"password={SECRET}\n")
    (tmp_path / "granted.csv").write_text("name,height\nwall,3.0\n")
    shutil.copy(FIXTURES / "AC20-FZK-Haus.ifc", tmp_path / "granted.ifc")
    shutil.copy(FIXTURES / "AC20-FZK-Haus.ifc", tmp_path / "other.ifc")
    out = tmp_path / "out"
    source = _prelude(tmp_path, out, listener.getsockname()[1]) + attempt(code) + "\nresult = 'finished'\n"
    request = secret_worker.run({
        "code": source, "filename": "<attack>", "params": {}, "selection": [], "previous": {},
        "granted": [str(tmp_path / "granted.csv"), str(tmp_path / "granted.ifc")],
        "output_dir": str(out), "limits": LIMITS})
    assert request.wait(120)
    reply = request.reply
    assert reply["status"] == "error", (reply, request.output_text)
    assert reply["error"].startswith("The sandbox refused: ")
    assert any(re.search(expected, r) for r in reply["refusals"]), reply["refusals"]
    assert reply["result"] is None and reply["traceback"] is None
    assert not list(tmp_path.glob("canary*")), "the attack had an effect"
    everything = request.output_text + repr(reply)
    everything += "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert SECRET not in everything
    try:
        listener.accept()[0].close()
        connected = True
    except BlockingIOError:
        connected = False
    assert not connected
    # The worker carries on: the next run on the same model succeeds.
    assert run(secret_worker, "result = len(entities)", tmp_path).reply["result"] == 127
