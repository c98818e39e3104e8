"""docs/access.md is the access matrix's rendering, so the document cannot drift."""

from __future__ import annotations

from service.access import matrix
from service.access.matrix_doc import DOC, render


def test_docs_access_md_is_the_rendering_of_the_matrix() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/access.md differs from service/access/matrix.py: "
        "run `python -m service.access.matrix_doc`"
    )


def test_every_route_and_topic_has_its_row_in_the_document() -> None:
    text = render()
    for key in matrix.ROUTES:
        assert f"| `{key}` |" in text, key
    for topic in matrix.STREAM_TOPICS:
        assert f"| `{topic}` |" in text, topic


def test_every_example_of_a_relation_is_answered_alike_by_every_rule() -> None:
    # `documented` raises when two examples of one relation disagree.
    rules = [*matrix.ROUTES.values(), *matrix.STREAM_TOPICS.values()]
    for rule in rules:
        relations = matrix.INCIDENT_RELATIONS if rule.incident else ("none",)
        for caller in matrix.CALLERS:
            for relation in relations:
                matrix.documented(rule, caller, relation)
