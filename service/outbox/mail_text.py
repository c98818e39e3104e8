"""What makes any text fit to travel in an e-mail: clean header values, a subject folded
so that every receiver reads it back whole, and a body cut to a server's size limit.

Nothing Lägesbild produces may make a message undeliverable: an incident title with a
line break or U+2028 (LINE SEPARATOR) once turned every reminder into a dead letter, and
a lone surrogate (JSON allows `"\\ud800"`) cannot be encoded at all. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from email.header import Header

# Header lines are folded to this length (RFC 5322's "SHOULD"; email.policy.SMTP's).
LINE = 78
_CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_SPACES = re.compile(r"\s+")


def clean_header(value: str) -> str:
    """`value` on one line: every control character, line or paragraph separator and
    lone surrogate becomes a space, runs of white space one space, the ends trimmed."""
    spaced = "".join(" " if unicodedata.category(ch) in _CONTROL_CATEGORIES else ch for ch in value)
    return _SPACES.sub(" ", spaced).strip()


def folded_subject(value: str) -> str:
    """A cleaned subject as RFC 2047 encoded words folded at `LINE` characters, ready for
    the wire (`EmailMessage.set_raw`).

    email.policy.SMTP would fold it too, but Python 3.11's folder can put the space
    between two words outside the encoded words, where decoders drop it ("Västra
    Götaland" arrives as "VästraGötaland"); the email.header encoder keeps every
    character inside its encoded word. A plain ASCII subject stays readable as it is.
    """
    clean = clean_header(value)
    charset = "us-ascii" if clean.isascii() and "=?" not in clean else "utf-8"
    return Header(clean, charset, maxlinelen=LINE, header_name="Subject").encode(linesep="\r\n")


def clean_body(text: str) -> str:
    """A body every SMTP server takes: line ends as `\\n`, no NUL or other control
    character but tab, no lone surrogate (the rest, U+2028 included, is ordinary text)."""
    unified = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in unified if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )


def shortened(text: str, *, max_bytes: int, note: str) -> str:
    """`text` cut at a line or word so that it and `note` (said at its end) take at most
    `max_bytes` bytes of UTF-8; the whole text when it fits."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    room = max(max_bytes - len(note.encode("utf-8")) - 2, 0)
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    for mark in ("\n", " "):
        at = cut.rfind(mark)
        if at > len(cut) // 2:
            cut = cut[:at]
            break
    return f"{cut.rstrip()}\n\n{note}"
