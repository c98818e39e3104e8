"""Hostile XML is refused with a 4xx problem: no entity, file, DTD or XInclude is read."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg
import pytest
from lxml import etree

from adapters import xml_safety
from service.config import Settings
from tests.settings import with_changes
from tests.support import Api, Reply, assert_problem

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<edxlDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:2.0">
<distributionID>&lol9;</distributionID></edxlDistribution>
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Room for a 10,000-deep document, so the depth limit (not the size limit) refuses it."""
    return with_changes(settings, max_body_bytes=256 * 1024, xml_max_bytes=128 * 1024)


@pytest.fixture
def secret(tmp_path: Path) -> tuple[Path, str]:
    marker = f"SECRET-{uuid.uuid4().hex}"
    path = tmp_path / "secret.txt"
    path.write_text(marker)
    return path, marker


def _xxe(path: Path) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE edxlDistribution [<!ENTITY xxe SYSTEM "file://{path}">]>
<edxlDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:2.0">
<distributionID>&xxe;</distributionID><senderID>1442</senderID></edxlDistribution>
""".encode()


def _external_dtd(tmp_path: Path, path: Path) -> bytes:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY % file SYSTEM "file://{path}">\n<!ENTITY leak "%file;">\n')
    return f"""<?xml version="1.0"?>
<!DOCTYPE edxlDistribution SYSTEM "file://{dtd}">
<edxlDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:2.0">
<distributionID>&leak;</distributionID></edxlDistribution>
""".encode()


def _xinclude(path: Path) -> bytes:
    return f"""<?xml version="1.0"?>
<edxlDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:2.0"
                  xmlns:xi="http://www.w3.org/2001/XInclude">
<distributionID><xi:include href="file://{path}" parse="text"/></distributionID>
</edxlDistribution>
""".encode()


def _deep(levels: int) -> bytes:
    return b"<a>" * levels + b"</a>" * levels


async def _post(api: Api, document: bytes) -> Reply:
    return await api.call(
        "POST",
        "/api/v1/exchange/edxl",
        as_=("MSB", "adapter"),
        data=document,
        headers={"Content-Type": "application/xml"},
    )


async def _nothing_stored(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM reports") == 0
        assert await conn.fetchval("SELECT count(*) FROM events") == 0
    finally:
        await conn.close()


async def test_billion_laughs_is_refused(api: Api, dsn: str) -> None:
    reply = await _post(api, BILLION_LAUGHS)
    assert_problem(reply, 400, "unsafe-xml")
    assert "lollol" not in json.dumps(reply.body)
    await _nothing_stored(dsn)


async def test_xxe_to_a_local_file_is_refused_without_reading_it(
    api: Api, dsn: str, secret: tuple[Path, str]
) -> None:
    path, marker = secret
    reply = await _post(api, _xxe(path))
    assert_problem(reply, 400, "unsafe-xml")
    assert marker not in json.dumps(reply.body)
    await _nothing_stored(dsn)


async def test_external_dtd_is_refused(
    api: Api, dsn: str, tmp_path: Path, secret: tuple[Path, str]
) -> None:
    path, marker = secret
    reply = await _post(api, _external_dtd(tmp_path, path))
    assert_problem(reply, 400, "unsafe-xml")
    assert marker not in json.dumps(reply.body)
    await _nothing_stored(dsn)


async def test_xinclude_is_refused_without_reading_the_file(
    api: Api, dsn: str, secret: tuple[Path, str]
) -> None:
    path, marker = secret
    reply = await _post(api, _xinclude(path))
    assert_problem(reply, 400, "unsafe-xml")
    assert marker not in json.dumps(reply.body)
    await _nothing_stored(dsn)


async def test_an_xxe_in_another_encoding_is_refused_without_reading_the_file(
    api: Api, dsn: str, secret: tuple[Path, str]
) -> None:
    path, marker = secret
    document = (
        _xxe(path)
        .decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    )
    reply = await _post(api, document.encode("utf-16"))
    assert_problem(reply, 400, "unsafe-xml")
    assert marker not in json.dumps(reply.body)
    await _nothing_stored(dsn)


async def test_ten_thousand_deep_nesting_is_refused(api: Api, dsn: str) -> None:
    reply = await _post(api, _deep(10_000))
    assert_problem(reply, 400, "unsafe-xml")
    assert "deeper" in reply.body["detail"]
    await _nothing_stored(dsn)


async def test_a_document_over_the_size_limit_is_refused(api: Api, dsn: str) -> None:
    big = b"<a>" + b"x" * (200 * 1024) + b"</a>"
    assert_problem(await _post(api, big), 413)
    await _nothing_stored(dsn)


# The parser itself, below the DOCTYPE refusal: even if a DOCTYPE got through, nothing is
# resolved, loaded or fetched.


def test_the_parser_never_expands_entities_or_reads_files(secret: tuple[Path, str]) -> None:
    path, marker = secret
    parsed = etree.fromstring(_xxe(path), parser=xml_safety.safe_parser())
    assert marker not in etree.tostring(parsed).decode()
    # And libxml2's amplification guard stops the laughs even in the declarations.
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):
        etree.fromstring(BILLION_LAUGHS, parser=xml_safety.safe_parser())


def test_the_parser_never_loads_an_external_dtd(tmp_path: Path, secret: tuple[Path, str]) -> None:
    path, marker = secret
    parsed = etree.fromstring(_external_dtd(tmp_path, path), parser=xml_safety.safe_parser())
    assert marker not in etree.tostring(parsed).decode()


def test_parse_leaves_xinclude_unprocessed_and_refuses_it(secret: tuple[Path, str]) -> None:
    path, marker = secret
    parsed = etree.fromstring(_xinclude(path), parser=xml_safety.safe_parser())
    assert marker not in etree.tostring(parsed).decode()
    with pytest.raises(xml_safety.XmlUnsafe):
        xml_safety.parse(_xinclude(path))


def test_parse_accepts_ordinary_documents_within_the_limits() -> None:
    root = xml_safety.parse(_deep(10), max_depth=10)
    assert root.tag == "a"
    with pytest.raises(xml_safety.XmlUnsafe):
        xml_safety.parse(_deep(11), max_depth=10)


@pytest.mark.parametrize(
    "document",
    [
        b"<a><b>t</b>",  # cut short, well under one piece
        b"<r><s>" + b"x" * (xml_safety.CHUNK - 6),  # cut short at exactly one piece
        b"<r><s>" + b"x" * (3 * xml_safety.CHUNK) + b"</r>",  # a wrong end tag, pieces later
    ],
    ids=["short", "one-piece", "later-piece"],
)
def test_a_document_cut_short_or_broken_is_refused_as_malformed_by_the_depth_walk(
    document: bytes,
) -> None:
    """The walk that bounds the depth reads the document to its end, and says when it is
    not well-formed, whatever the length (the parse after it would too)."""
    with pytest.raises(xml_safety.XmlMalformed):
        xml_safety._check_depth(document, 64)
    assert xml_safety.first_text(document, "nothing") is None


def test_deep_nesting_is_refused_by_depth_before_the_parser_gives_up_on_it() -> None:
    """libxml2 stops at 256 levels on its own; the walk refuses at the limit first, with
    its own reason, and reads the sender of an envelope broken further on."""
    with pytest.raises(xml_safety.XmlUnsafe, match="deeper than 64"):
        xml_safety.parse(_deep(300))
    broken = b"<e><id>x</id><senderID>1443</senderID><content><broken></content>"
    assert xml_safety.first_text(broken, "senderID") == "1443"
