"""CSV cells a spreadsheet will not run: one guard for every CSV the service writes."""

from __future__ import annotations

import re

# Where a spreadsheet may start a cell: the start of the text, or after a separator (`,`,
# or `;`, the list separator of Swedish Excel, which ignores the quotes around a field)
# or a line break, past any spaces and quotes; and what it would run there as a formula.
_FORMULA = re.compile(r"(^|[,;\r\n])([ \"]*)(?=[=+\-@\t\r])")


def formula_guard(value: object) -> object:
    """Text is defused wherever a spreadsheet could read a formula (=, +, -, @, tab, CR
    at a cell's start), whether it splits the file on `,` or on `;`: `'` goes first."""
    if isinstance(value, str):
        return _FORMULA.sub(r"\1\2'", value)
    return value
