"""Validating produced envelopes against the official OASIS EDXL-DE 2.0 schema.

The OASIS schemas are not part of Lägesbild: they are read in place from the folder
`LAGESBILD_STANDARDS_DIR` names (default `../shared/standards`; a relative path is taken
from the repository's root, not from the working directory). It holds one folder per
standard, as OASIS publishes them:

- `edxl-de-2.0/edxl-de-v2.0-wd11.xsd` with `other-supporting-schema/` beside it:
  EDXL-DE 2.0, http://docs.oasis-open.org/emergency/edxl-de/v2.0/cs02/schema/
- `edxl-de-1.0/EDXL-DE_Schema_v1.0.xsd`: EDXL-DE 1.0,
  http://docs.oasis-open.org/emergency/edxl-de/v1.0/
- `cap-1.2/CAP-v1.2-os.xsd`: CAP 1.2,
  http://docs.oasis-open.org/emergency/cap/v1.2/CAP-v1.2-os.xsd

The tests read only the DE 2.0 schema. Without it, the tests marked `needs_de2_schema`
are skipped and say where to get it; every other test runs on the repository alone.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from adapters.edxl import codec

REPO_ROOT = Path(__file__).resolve().parents[2]
STANDARDS_VARIABLE = "LAGESBILD_STANDARDS_DIR"
DEFAULT_STANDARDS = "../shared/standards"
DE2_SOURCE = "http://docs.oasis-open.org/emergency/edxl-de/v2.0/cs02/schema/"
# Lägesbild's own profile of SitRep (no official SitRep 1.0 schema is available).
SITREP_PROFILE = REPO_ROOT / "adapters" / "edxl" / "sitrep-profile.xsd"


def standards_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder of the OASIS schemas: `LAGESBILD_STANDARDS_DIR`, from the repository."""
    given = Path(environ.get(STANDARDS_VARIABLE) or DEFAULT_STANDARDS).expanduser()
    return given if given.is_absolute() else (REPO_ROOT / given).resolve()


DE2_XSD = standards_dir() / "edxl-de-2.0" / "edxl-de-v2.0-wd11.xsd"

needs_de2_schema = pytest.mark.skipif(
    not DE2_XSD.is_file(),
    reason=f"the OASIS EDXL-DE 2.0 schema is not at {DE2_XSD}: get edxl-de-v2.0-wd11.xsd and "
    f"other-supporting-schema/ from {DE2_SOURCE} into <folder>/edxl-de-2.0/ and set "
    f"{STANDARDS_VARIABLE}=<folder> (default {DEFAULT_STANDARDS}, from the repository)",
)


@functools.cache
def de2_schema() -> Any:
    """DE 2.0 (official, read in place, offline) with the SitRep profile for the payload."""
    if not DE2_XSD.is_file():
        pytest.fail(f"the EDXL-DE 2.0 schema is not at {DE2_XSD}; mark the test needs_de2_schema")
    return xmlschema.XMLSchema(
        str(DE2_XSD),
        allow="local",
        use_fallback=False,
        locations=[(codec.SR, str(SITREP_PROFILE))],
    )


def assert_valid_de2(document: bytes) -> None:
    errors = list(de2_schema().iter_errors(document.decode()))
    assert not errors, "\n".join(str(error)[:400] for error in errors[:3])
