"""A check's verdict: the PASS, FAIL or WARN a script declares in `result["status"]`.

The run's status says whether the script ran (`success`, `error`, ...); the verdict says what a
check found. A script declares it by ending with a dict result whose "status" is one of the
three words (any case); the built-in checks do. It is script data, so it is read strictly and
only ever used as a label: any other value (another word, a word with spaces, a number) gives no
verdict, and nothing here changes how the run is recorded. Runs that did not end `success` have
no verdict (a stopped check's partial "PASS" would mislead).

The detail is a short sentence of the counts the result reports ("13 failed", "2 duplicate
GlobalIds"), stored beside the verdict so lists show it without reading the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERDICTS = ("PASS", "FAIL", "WARN")

#: Integer keys of a result that count problems, in the order they are told, with their words.
PROBLEM_COUNTS = (
    ("failed", "failed"),
    ("duplicate_guids", "duplicate GlobalIds"),
    ("invalid_format", "with a bad GlobalId"),
    ("missing", "missing"),
    ("invalid", "invalid"),
    ("below_target", "below target"),
    ("errors", "errors"),
    ("warnings", "warnings"),
)
#: Keys told when no problem count is above zero ("40 passed").
CLEAN_COUNTS = (("passed", "passed"), ("checked", "checked"))
#: Counts beyond this are not believed (script data): the detail leaves them out.
_MAX_COUNT = 10**12
_MAX_PARTS = 3


@dataclass(frozen=True)
class Verdict:
    """PASS, FAIL or WARN, and the counts behind it as a short phrase (or None)."""

    word: str
    detail: str | None = None

    def label(self) -> str:
        """"FAIL: 13 failed", or "PASS" when the result has no counts."""
        return f"{self.word}: {self.detail}" if self.detail else self.word


def verdict_word(value: Any) -> str | None:
    """"PASS", "FAIL" or "WARN" for exactly one of those words in any case; None otherwise."""
    if isinstance(value, str) and value.isascii() and value.upper() in VERDICTS:
        return value.upper()
    return None


def read_verdict(result: Any, status: str = "success") -> Verdict | None:
    """The verdict a run's `result` declares, or None (no dict, no such word, or a run that
    did not end `success`)."""
    if str(status) != "success" or not isinstance(result, dict):
        return None
    word = verdict_word(result.get("status"))
    if word is None:
        return None
    return Verdict(word, count_phrase(result))


def count_phrase(result: dict[str, Any]) -> str | None:
    """"13 failed, 2 missing" from the result's problem counts above zero; else "40 passed"
    (or "120 checked"); None when it reports none of them."""
    counts = {key: value for key, value in result.items() if _is_count(value)}
    parts = [f"{counts[key]} {words}" for key, words in PROBLEM_COUNTS if counts.get(key)]
    if not parts:
        parts = [f"{counts[key]} {words}" for key, words in CLEAN_COUNTS if key in counts][:1]
    return ", ".join(parts[:_MAX_PARTS]) or None


def stored_verdict(word: Any, detail: Any) -> Verdict | None:
    """A verdict as a run record holds it, checked again (the file may have been edited)."""
    checked = verdict_word(word)
    if checked is None:
        return None
    return Verdict(checked, detail[:200] if isinstance(detail, str) and detail else None)


def _is_count(value: Any) -> bool:
    return type(value) is int and 0 <= value < _MAX_COUNT
