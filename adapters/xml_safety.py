"""Reading foreign XML safely: no entities, no DTDs, no network, no XInclude, bounded.

Every XML document Lägesbild receives from another system goes through `parse`.
The parser never resolves entities (billion laughs, XXE), never loads or validates
a DTD, never touches the network and never processes XInclude (lxml only does so
when `xinclude()` is called, which nothing here does). A document with any
DOCTYPE is refused outright, before parsing, and so is one that is too large or
nests too deep. Refusals are `XmlRejected` (its kinds `XmlTooLarge`, `XmlMalformed`,
`XmlUnsafe`); this module knows nothing of HTTP, and the adapters' HTTP layer maps
them to problems (`adapters/problems.py`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from lxml import etree

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 64

# `<!DOCTYPE` anywhere (case-insensitive, as libxml2 reads it only upper-case, but a
# refusal costs nothing). Also refuse `<!ENTITY`, which only a DTD may hold.
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XINCLUDE_NS = "http://www.w3.org/2001/XInclude"


class XmlRejected(ValueError):
    """A document refused before or while parsing; the message says why."""


class XmlTooLarge(XmlRejected):
    pass


class XmlMalformed(XmlRejected):
    """Empty, or not well-formed."""


class XmlUnsafe(XmlRejected):
    """A DOCTYPE, an entity, XInclude, or nesting deeper than allowed."""


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parse(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> etree._Element:
    """The document's root element, or `XmlRejected` explaining the refusal."""
    if len(data) > max_bytes:
        raise XmlTooLarge(f"the XML document may be at most {max_bytes} bytes")
    if not data.strip():
        raise XmlMalformed("the body is empty; send an XML document")
    if _DOCTYPE.search(data):
        raise XmlUnsafe("documents with a DOCTYPE or entity declarations are not accepted")
    _check_depth(data, max_depth)
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlMalformed(f"the body is not well-formed XML: {_short(exc)}") from exc
    # A DOCTYPE the byte check could not see (another encoding, say UTF-16) is refused too;
    # the parser resolved nothing from it.
    info = root.getroottree().docinfo
    doctype = str(getattr(info, "doctype", ""))  # lxml-stubs lack DocInfo.doctype
    if doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise XmlUnsafe("documents with a DOCTYPE or entity declarations are not accepted")
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{" + _XINCLUDE_NS + "}"):
            raise XmlUnsafe("XInclude is not accepted")
        if isinstance(element, etree._Entity):
            raise XmlUnsafe("entity references are not accepted")
    return root


def _check_depth(data: bytes, max_depth: int) -> None:
    """Walk the start and end tags without building a tree; refuse deep nesting early."""
    depth = 0
    try:
        for event, element in _events(data):
            if event == "start":
                depth += 1
                if depth > max_depth:
                    raise XmlUnsafe(f"the XML document nests deeper than {max_depth} levels")
            else:
                depth -= 1
                element.clear()  # only the depth matters here; keep no tree
    except etree.XMLSyntaxError as exc:
        raise XmlMalformed(f"the body is not well-formed XML: {_short(exc)}") from exc


def first_text(
    data: bytes, tag: str, *, within: int = 32, max_depth: int = DEFAULT_MAX_DEPTH
) -> str | None:
    """The text of the first element named `tag` (Clark notation) among the document's
    first `within` elements, read without parsing the rest; None when it is not there, or
    the document is refused or broken before it (the full `parse` then says why)."""
    if _DOCTYPE.search(data):
        return None
    seen = depth = 0
    try:
        for event, element in _events(data):
            if event == "start":
                seen += 1
                depth += 1
                if seen > within or depth > max_depth:
                    return None
                continue
            depth -= 1
            if element.tag == tag:
                info = element.getroottree().docinfo
                if str(getattr(info, "doctype", "")) or info.internalDTD is not None:
                    return None  # a DOCTYPE the byte check could not see: `parse` refuses
                return element.text or ""
    except etree.XMLSyntaxError:
        return None
    return None


CHUNK = 16 * 1024  # bytes fed to the parser at a time


def _events(data: bytes) -> Iterator[tuple[str, etree._Element]]:
    """The document's start and end events, parsed a piece at a time as they are asked
    for: every event before a syntax error comes first, then the error
    (`XMLSyntaxError`). A pull parser gives them in that order. `iterparse` in lxml 6.2
    raises a piece's error before that piece's events, which would hide how deep the
    document went, or its sender, behind libxml2's own message."""
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    view = memoryview(data)
    pieces = (bytes(view[at : at + CHUNK]) for at in range(0, len(data), CHUNK))
    for piece in itertools.chain(pieces, [None]):  # None: the end of the document
        failure: etree.XMLSyntaxError | None = None
        try:
            if piece is None:
                parser.close()  # a document cut short is an error here
            else:
                parser.feed(piece)
        except etree.XMLSyntaxError as exc:
            failure = exc
        for event, element in parser.read_events():
            if isinstance(element, etree._Element):  # "start" and "end" only, as asked
                yield event, element
        if failure is not None:
            raise failure


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"
