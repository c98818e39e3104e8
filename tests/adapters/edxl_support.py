"""Validating produced envelopes against the OASIS EDXL-DE 2.0 schema in ../shared/standards."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from adapters.edxl import codec

REPO_ROOT = Path(__file__).resolve().parents[2]
STANDARDS = REPO_ROOT.parent / "shared" / "standards"
DE2_XSD = STANDARDS / "edxl-de-2.0" / "edxl-de-v2.0-wd11.xsd"
# Lägesbild's own profile of SitRep (the official SitRep schema is not in ../shared/standards).
SITREP_PROFILE = REPO_ROOT / "adapters" / "edxl" / "sitrep-profile.xsd"


@functools.cache
def de2_schema() -> Any:
    """DE 2.0 (official, read in place, offline) with the SitRep profile for the payload."""
    if not DE2_XSD.exists():
        pytest.fail(f"the EDXL-DE 2.0 schema is not at {DE2_XSD}")
    return xmlschema.XMLSchema(
        str(DE2_XSD),
        allow="local",
        use_fallback=False,
        locations=[(codec.SR, str(SITREP_PROFILE))],
    )


def assert_valid_de2(document: bytes) -> None:
    errors = list(de2_schema().iter_errors(document.decode()))
    assert not errors, "\n".join(str(error)[:400] for error in errors[:3])
