"""The "did you mean `orders`?" hint for a name that is not known, shared by spec and query errors."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """`did you mean `x`?` for the closest known name, or None when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"did you mean `{close[0]}`?" if close else None
