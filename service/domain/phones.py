"""Mobile numbers as Lägesbild keeps them: E.164 (`+46701234567`). Pure."""

from __future__ import annotations

import re


def e164(written: str) -> str | None:
    """A mobile number as E.164, from `070-123 45 67`, `0046 70…` or `+46 70 …`; a
    national number without a country code is Swedish. None if it is not a number."""
    digits = re.sub(r"[\s\-().]", "", written.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+46" + digits[1:]
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", digits):
        return None
    return digits
