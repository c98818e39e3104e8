"""The README and docs stand alone: every link and file they name is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")  # inline links and images
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
# A file or folder of the repository written as code: `service/config.py`, `tests/unit/`.
REPO_PATH = re.compile(
    r"`((?:service|schemas|adapters|migrations|tests|bench|deploy|docs)/[^`\s]*)`"
)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)


def prose(path: Path) -> str:
    """The text outside code blocks and inline code, where links are links."""
    return CODE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    found = set()
    for title in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        text = re.sub(r"[^\w\- ]", "", title.replace("`", "").lower())
        found.add(text.replace(" ", "-"))
    return found


def relative_links(path: Path) -> list[str]:
    text = prose(path)
    targets = LINK.findall(text) + REFERENCE.findall(text)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def linked_docs() -> list[tuple[Path, str]]:
    return [(doc, target) for doc in DOCS for target in relative_links(doc)]


def test_the_docs_link_to_each_other() -> None:
    assert len(linked_docs()) > 10  # the check below has links to look at


@pytest.mark.parametrize(
    ("doc", "target"), linked_docs(), ids=lambda v: v.name if isinstance(v, Path) else v
)
def test_every_relative_link_names_a_file_of_the_repository(doc: Path, target: str) -> None:
    location, _, fragment = target.partition("#")
    resolved = (doc.parent / location).resolve() if location else doc
    assert resolved.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
    assert resolved.exists(), f"{doc.name} links to a missing file: {target}"
    if fragment and resolved.suffix == ".md":
        assert fragment in anchors(resolved), f"{doc.name}: no heading #{fragment} in {location}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_files_named_in_the_docs_exist(doc: Path) -> None:
    missing = []
    for name in REPO_PATH.findall(FENCE.sub("", doc.read_text(encoding="utf-8"))):
        module, _, _attribute = name.partition(".")
        if not list(ROOT.glob(name.rstrip("/"))) and not (ROOT / f"{module}.py").exists():
            missing.append(name)  # neither a file (or glob) nor `module.attribute`
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_nothing_outside_the_repository_is_referred_to_but_the_standards_folder(
    doc: Path,
) -> None:
    for paragraph in doc.read_text(encoding="utf-8").split("\n\n"):
        if "../" in paragraph.replace("](../", "]("):  # links are checked above
            assert "LAGESBILD_STANDARDS_DIR" in paragraph, paragraph


def test_the_design_lists_every_setting() -> None:
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias or f"LAGESBILD_{name.upper()}"
        assert f"`{variable}`" in design, variable


# A module or one of its names written as code: `service.domain.reporting.submit`.
DOTTED = re.compile(r"`((?:service|schemas|adapters)(?:\.\w+)+)")


def _resolves(dotted: str) -> bool:
    """Whether the longest module prefix exists and each name after it is in its source."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        source = base.with_suffix(".py") if base.with_suffix(".py").exists() else None
        if source is None and (base / "__init__.py").exists():
            source = base / "__init__.py"
        if source is not None:
            text = source.read_text(encoding="utf-8")
            return all(re.search(rf"\b{re.escape(name)}\b", text) for name in parts[cut:])
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_modules_named_in_the_docs_exist(doc: Path) -> None:
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    assert [name for name in DOTTED.findall(text) if not _resolves(name)] == []
