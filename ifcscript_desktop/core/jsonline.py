"""One JSON line written piece by piece, so a run's large tables never sit in memory whole.

`write_json_line(line, stream)` writes exactly what `json.dumps(line, ensure_ascii=False,
default=str)` would, plus a newline; values that are `Streamed` (a table kept in a file, see
`core.reply.Table`) write themselves a block at a time. They may stand as a value of
the line or as an item of a list value (a run's `tables`), which is where runs hold them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

#: The encoder of the command's JSON lines (DESIGN.md: `--json`).
encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


class Streamed:
    """A value that writes its own JSON text in pieces; subclasses give `json_chunks`."""

    def json_chunks(self) -> Iterator[str]:
        raise NotImplementedError


def write_json_line(line: dict[str, Any], stream: TextIO) -> None:
    """Write `line` as one JSON line to `stream`, streamed values a piece at a time; flush."""
    for chunk in _chunks(line):
        stream.write(chunk)
    stream.write("\n")
    stream.flush()


def _chunks(line: dict[str, Any]) -> Iterator[str]:
    if not any(_holds_streamed(value) for value in line.values()):
        yield encode(line)
        return
    yield "{"
    for number, (key, value) in enumerate(line.items()):
        yield f"{', ' if number else ''}{_key(key)}: "
        if isinstance(value, Streamed):
            yield from value.json_chunks()
        elif isinstance(value, list) and _holds_streamed(value):
            yield "["
            for index, item in enumerate(value):
                if index:
                    yield ", "
                yield from item.json_chunks() if isinstance(item, Streamed) else (encode(item),)
            yield "]"
        else:
            yield encode(value)
    yield "}"


def _holds_streamed(value: Any) -> bool:
    return isinstance(value, Streamed) or (isinstance(value, list)
                                           and any(isinstance(item, Streamed) for item in value))


def _key(key: Any) -> str:
    """A key as json.dumps writes it (it turns numbers, booleans and None into text)."""
    return encode(key) if isinstance(key, str) else encode({key: None})[1:-len(": null}")]
