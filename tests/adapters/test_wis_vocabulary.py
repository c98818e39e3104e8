"""A WIS node's words are a wire contract, pinned here, not Lägesbild's labels.

The node sends and reads back its own vocabulary (docs/exchange.md). Most of its words
are today the same as the Swedish labels in service.domain.labels, but rewording a
label must not change what the node is sent or understands, so the mapping keeps its
own tables. What must never drift is which codes they name: every sector, level and
trend the catalogue labels has a node word, and the words are the ones documented.
"""

from __future__ import annotations

from adapters.wis import mapping, mock
from schemas.common import IMPACT_SCALE, SECTORS, TRENDS
from service.domain.labels import LABELS


def _codes(vocabulary: str) -> set[str]:
    return {key.partition(".")[2] for key in LABELS if key.startswith(f"{vocabulary}.")}


def test_the_node_has_a_word_for_every_code_the_catalogue_labels() -> None:
    assert set(mapping.SECTOR_SV) == _codes("sector") == set(SECTORS)
    # WIS has no "unknown" level: a sector with it is not sent
    assert set(mapping.IMPACT_SV) == _codes("impact") - {"unknown"} == set(IMPACT_SCALE)
    assert set(mapping.TREND_SV) == _codes("trend") == set(TRENDS)


def test_the_node_words_are_the_documented_ones() -> None:
    assert mapping.SECTOR_SV == {
        "water": "Vatten och avlopp",
        "energy": "El och värme",
        "food": "Mat och livsmedel",
        "care": "Vård, omsorg och vardagsstöd",
        "communication": "Information, elektronisk kommunikation och samverkan",
        "transport": "Transporter",
        "other": "Övrigt",
    }
    assert list(mapping.IMPACT_SV.items()) == [
        ("none", "Ingen"),
        ("moderate", "Måttlig"),
        ("significant", "Betydande"),
        ("serious", "Allvarlig"),
        ("critical", "Kritisk"),
    ]
    assert mapping.TREND_SV == {
        "improving": "Förbättras",
        "stable": "Oförändrad",
        "worsening": "Försämras",
        "unknown": "Okänd",
    }
    assert mapping.PRESET_QUESTIONS[0] == (
        "Påverkan per sektor (Ingen, Måttlig, Betydande, Allvarlig, Kritisk)"
    )


def test_the_mock_node_accepts_exactly_the_levels_lagesbild_sends() -> None:
    assert tuple(mapping.IMPACT_SV.values()) == mock.LEVELS


def test_every_node_word_reads_back_as_its_code() -> None:
    assert {mapping.SECTOR_FROM_SV[word] for word in mapping.SECTOR_SV.values()} == set(SECTORS)
    assert {mapping.IMPACT_FROM_SV[word] for word in mapping.IMPACT_SV.values()} == set(
        IMPACT_SCALE
    )
    assert {mapping.TREND_FROM_SV[word.casefold()] for word in mapping.TREND_SV.values()} == set(
        TRENDS
    )
