"""Names people give qcode (coders, respondents, accounts) checked before they reach the database: every
backend stores them, PostgreSQL refuses a NUL character, and the columns hold 100 characters."""

from __future__ import annotations

import unicodedata

MAX_NAME = 100  # the width of the coder, respondent_id and account columns


def name_problem(name: str, max_length: int = MAX_NAME) -> str | None:
    """What is wrong with `name` as a stored name (fit for one line), or None."""
    if len(name) > max_length:
        return f"longer than {max_length} characters ({len(name):,})"
    bad = next((ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")), None)
    if bad is not None:
        return f"contains the control character U+{ord(bad):04X}"
    return None
