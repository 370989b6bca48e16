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
