"""Framing of the messages between the client, the worker and a run child.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON. The same
framing is used on the client channel (worker stdin/stdout) and on a run child's event pipe.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Iterator

HEADER = struct.Struct(">I")
#: A frame larger than this is a broken peer, not a big message (a 100k-row table is ~30 MB).
MAX_FRAME = 512 * 1024 * 1024
#: The limits every `run` request carries (`core.execute.Limits`, from the user's settings); the
#: worker has no defaults of its own and refuses a run without them.
RUN_LIMITS = ("timeout_s", "memory_mb", "output_cap", "outputs_max_bytes", "outputs_max_files")


class ProtocolError(Exception):
    """The peer sent bytes that are not a valid frame."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as a frame."""
    body = json.dumps(message, separators=(",", ":"), allow_nan=False, default=str).encode()
    return HEADER.pack(len(body)) + body


class FrameDecoder:
    """Turns a byte stream, fed in arbitrary pieces, into messages."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buffer = bytearray()
        self._max_frame = max_frame

    def feed(self, data: bytes) -> Iterator[dict[str, Any]]:
        """Add bytes; yield every message that is now complete."""
        self._buffer += data
        while len(self._buffer) >= HEADER.size:
            (length,) = HEADER.unpack_from(self._buffer)
            if length > self._max_frame:
                raise ProtocolError(f"frame of {length} bytes exceeds the limit")
            end = HEADER.size + length
            if len(self._buffer) < end:
                return
            body = bytes(self._buffer[HEADER.size:end])
            del self._buffer[:end]
            try:
                message = json.loads(body)
            except (ValueError, RecursionError) as exc:  # a hostile child nests 100k deep
                raise ProtocolError(f"frame is not JSON: {exc}") from None
            if not isinstance(message, dict):
                raise ProtocolError("frame is not a JSON object")
            yield message

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a whole frame."""
        return len(self._buffer)


def run_reply(request_id: int, status: str, error: str | None = None, *,
              duration_s: float | None = 0.0, traceback: str | None = None, error_line: int | None = None,
              result: Any = None, tables: list[Any] | None = None, charts: list[Any] | None = None,
              highlights: list[Any] | None = None, colors: list[Any] | None = None,
              outputs: list[str] | None = None,
              output_truncated: bool = False, refusals: list[str] | None = None) -> dict[str, Any]:
    """The final message of a `run` request, every key present: the one place it is written.

    The worker sends it when a run ends (or never started); the client makes one for a run its
    worker never answered (`duration_s` None: the session fills in the time it saw). `core.reply.RunReply.from_message` reads it back.
    """
    return {"id": request_id, "done": True, "ok": True, "status": status, "error": error,
            "traceback": traceback, "error_line": error_line, "result": result,
            "tables": tables or [], "charts": charts or [], "highlights": highlights or [],
            "colors": colors or [], "outputs": outputs or [], "output_truncated": output_truncated,
            "refusals": refusals or [], "duration_s": duration_s}
