"""Reading an inbound mail: who sent it, its identity, and the text to read as a report.

Pure: no I/O. The text is the mail's plain-text body (or its HTML body as text), with
what the sender's mail program quoted below the answer taken away, so that a reply to
a reminder is read as the lines the sender wrote: the lines starting with `>` and the
line that introduces them (`Den 22 nov. 2026 skrev …:`, `On … wrote:`), and everything
from a forwarded-message separator (`-----Original Message-----`, Outlook's line of
underscores) on. When nothing but quotation is left (the sender filled in the quoted
template itself), the quoted lines are read without their `>`.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from service.domain.plaintext import normalise_code

# A code in a subject: `[K7Q-4M2]` as reminders write it, or standing alone.
_BRACKETED = re.compile(r"\[\s*([0-9A-Za-z]{3}[-\s]?[0-9A-Za-z]{3})\s*\]")
_STANDALONE = re.compile(r"(?<![0-9A-Za-z])([0-9A-Za-z]{3}-[0-9A-Za-z]{3})(?![0-9A-Za-z])")

_ATTRIBUTION = re.compile(r"\b(skrev|wrote|schrieb|kirjoitti)\b.*:\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|ursprungligt meddelande|vidarebefordrat meddelande|"
    r"forwarded message)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[^\s@<>,\"]{1,200}@[^\s@<>,\"]{1,200}")
_QUOTED = re.compile(r"^[ \t]?>")
# Values that say a mail was sent by a program (RFC 3834), not by a person.
_BULK = {"bulk", "junk", "list", "auto_reply"}


@dataclass(frozen=True, slots=True)
class ReadMail:
    sender: str | None  # the From address, lower case; None when there is none
    message_id: str  # as sent; one made from the content for a mail without it
    subject: str
    references: tuple[str, ...]  # References, then In-Reply-To (for the reply's thread)
    text: str  # what is read as the report
    automatic: bool  # a bounce, an auto-reply or a list's mail: never answered

    def content_hash(self, incident_id: uuid.UUID) -> bytes:
        """The content a repeat with another Message-ID would share."""
        canonical = f"{incident_id}\x1f{_canonical(self.text)}"
        return hashlib.sha256(canonical.encode()).digest()


def read(raw: bytes, *, envelope_sender: str | None) -> ReadMail:
    """Read a received message (`envelope_sender` is MAIL FROM; empty for a bounce)."""
    mail = message_from_bytes(raw, policy=policy.default)
    found = getaddresses([str(value) for value in mail.get_all("From", [])])
    addresses = [address.strip().lower() for _name, address in found if "@" in address]
    sender = addresses[0] if len(addresses) == 1 else None
    if sender is not None and not _ADDRESS.fullmatch(sender):
        sender = None  # nothing an answer could be sent to
    message_id = _one_line(str(mail.get("Message-ID", ""))).strip()
    if not message_id:
        message_id = f"<{hashlib.sha256(raw).hexdigest()}@lagesbild.invalid>"
    references = tuple(
        token
        for header in ("References", "In-Reply-To")
        for token in re.findall(r"<[^<>\s]+>", str(mail.get(header, "")))
    )
    auto = str(mail.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(mail.get("Precedence", "")).strip().lower()
    automatic = (
        not envelope_sender
        or envelope_sender == "<>"
        or auto != "no"
        or precedence in _BULK
        or mail.get("X-Autoreply") is not None
    )
    return ReadMail(
        sender=sender,
        message_id=message_id,
        subject=_one_line(str(mail.get("Subject", ""))).strip(),
        references=tuple(dict.fromkeys(references)),
        text=answer_text(body_text(mail)),
        automatic=automatic,
    )


def _one_line(value: str) -> str:
    return re.sub(r"[\r\n\u2028\u2029]+\s*", " ", value)


def body_text(mail: EmailMessage) -> str:
    """The plain-text body; the HTML body as text when there is no plain one."""
    part = mail.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return html_text(content)
    return content


class _Text(HTMLParser):
    _BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "pre", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        if tag == "blockquote":
            self._quote += 1
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        if tag == "blockquote":
            self._quote = max(0, self._quote - 1)
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._quote:  # quoted in HTML: quoted in text
            data = "\n".join(f"> {line}" for line in data.split("\n"))
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML body, one line per paragraph or line break."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = "".join(parser.parts).replace("\xa0", " ").split("\n")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines))


def answer_text(body: str) -> str:
    """What the sender wrote: the body without the quoted mail below it (module doc)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index, line in enumerate(lines):
        if _SEPARATOR.match(line):
            lines = lines[:index]
            break
    first_quote = next((i for i, line in enumerate(lines) if _QUOTED.match(line)), None)
    if first_quote is not None:
        before = [i for i in range(first_quote) if lines[i].strip()]
        if before and _ATTRIBUTION.search(lines[before[-1]]):
            del lines[before[-1]]  # the line introducing the quotation
    own = [line for line in lines if not _QUOTED.match(line)]
    quoted = [re.sub(r"^[ \t]?> ?", "", line) for line in lines if _QUOTED.match(line)]
    written = "\n".join(own).strip("\n")
    if _has_words(written) or not quoted:
        return written + "\n" if written else ""
    return "\n".join(quoted).strip("\n") + "\n"


def _has_words(text: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.split("\n"))


def _canonical(text: str) -> str:
    """The text as a repeat would have it: line ends and trailing spaces do not count."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def codes_in_subject(subject: str) -> list[str]:
    """Incident codes the subject names, bracketed ones first."""
    found = [normalise_code(m) for m in _BRACKETED.findall(subject)]
    found += [normalise_code(m) for m in _STANDALONE.findall(subject)]
    return list(dict.fromkeys(code for code in found if code is not None))
