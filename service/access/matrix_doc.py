"""docs/access.md, rendered from the access matrix (`service/access/matrix.py`).

    python -m service.access.matrix_doc          # write docs/access.md
    python -m service.access.matrix_doc --check  # exit 1 if it differs

tests/access/test_matrix_doc.py checks that the file is the rendering.
"""

from __future__ import annotations

import sys
from pathlib import Path

from service.access import matrix
from service.access.matrix import CALLERS, EXAMPLES, INCIDENT_RELATIONS, Caller, Rule

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"

_INTRO = """\
# Who may do what: the access matrix

<!-- Rendered from service/access/matrix.py by `python -m service.access.matrix_doc`;
do not edit by hand (a test compares the two). -->

Every HTTP route, page and stream topic of Lägesbild, and what each caller is answered,
by role and by relation to the incident the route names. The table is
`service/access/matrix.py`; one guard consults it before any handler runs (before a
body is read), so the answer below is the answer, whatever the body says. Where a cell
says ✓ the handler answers, and may still refuse for reasons of the body or the
incident's state (422, 409 `incident-closed`, 403 `wrong-organisation`, …) as
[design.md](design.md) describes. tests/access/test_matrix.py calls every route, page
and topic for every cell below, with organisations in two counties, on a real database.

## Callers

- **anonymous**: no token and no session cookie.
- **reporter**, **viewer**, **duty_officer**, **admin**: a person's session, or an API
  token with that role. Pages need a session: a token opens none (303 to the log-in).
- **adapter**: an API token of another system (there are no adapter people).

A caller acts for its organisation; an admin sees every incident whatever its
organisation.

## Relations to the incident

| relation | example in the test | meaning |
| --- | --- | --- |
"""

_ANSWERS = """\
## Answers

- ✓: allowed; the handler answers.
- 401 `unauthenticated`: no credentials, or a token that is unknown or revoked.
- 303 log-in: a page without a web session: to `/login?next=…`.
- 403 `forbidden`: the caller sees the incident (or the route names none) but its role
  or organisation may not do this.
- 403 `not-participant`: the caller's organisation takes no part (it sees the incident
  through its county or a share), or took part and was removed (see below).
- 404 `not-found`: an incident the caller may not see, answered exactly as one that does
  not exist, on reads and writes alike (the same status, type and detail).
- stream topics: `not_found` is the error frame `{"type": "error", "code": "not_found"}`;
  the socket stays open.
- †: the handler runs and gives this answer itself (see the rule).

A 403 never reveals an incident: it is given only to callers who may see the incident,
or who saw it while they took part. Everything else is 404.
"""

_TOLD_WHY = """\
## A participant removed later

An organisation removed from the participants by a change (`incident.updated` with
`participants_removed`) is told why on every route of that incident: 403
`not-participant`, "your organisation was removed from this incident's participants"
(relation **former** above), and a live subscriber gets the error frame `forbidden` on
the stream at the moment of removal. A new subscription afterwards gets `not_found`, as
for anyone who may not see it. A repeat of a report it stored before the removal is
still answered 200 with the stored report (idempotency).

This does not leak: the removed organisation saw the incident while it took part, and
the answer says nothing it did not know (not the title, the state or who takes part
now). Who counts as removed is read from the incident's own log, so no other caller
can be told it: an organisation that never took part gets 404.

## Adding a route

Add one row to `ROUTES` in `service/access/matrix.py`: `"METHOD /path/{pattern}": RULE`,
naming the rule that fits (or a new `Rule` beside the others), then run
`python -m service.access.matrix_doc`. A core route missing from the table is refused
with 403 at run time (a route an adapter adds from outside the core answers as its
handler decides), and any route of the app missing from it makes
tests/access/test_matrix.py fail, naming it.
"""


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _route_cell(key: str) -> str:
    return f"`{key}`"


def _plain_rows(keys: list[str]) -> list[list[str]]:
    return [
        [
            _route_cell(key),
            matrix.ROUTES[key].name,
            *(matrix.documented(matrix.ROUTES[key], caller, "none").cell() for caller in CALLERS),
        ]
        for key in keys
    ]


def _incident_rows(label: str, rule: Rule) -> list[list[str]]:
    """One row per group of callers answered alike in every relation."""
    groups: dict[tuple[str, ...], list[Caller]] = {}
    for caller in CALLERS:
        cells = tuple(
            matrix.documented(rule, caller, relation).cell() for relation in INCIDENT_RELATIONS
        )
        groups.setdefault(cells, []).append(caller)
    rows = []
    for index, (cells, callers) in enumerate(groups.items()):
        first = [label, rule.name] if index == 0 else ["", ""]
        rows.append([*first, ", ".join(callers), *cells])
    return rows


def render() -> str:
    parts = [_INTRO]
    for relation in (*INCIDENT_RELATIONS, "none"):
        for example in EXAMPLES[relation]:
            where = (
                "—"
                if example.incident is None
                else f"{example.organisation} on incident {example.incident}"
            )
            parts.append(f"| {relation} | {where} | {example.meaning} |\n")
    parts.append(
        "\nIncident A: county 14, activated by MSB, 1442 taking part, 1440 removed, shared "
        "with LST-13 (Halland). Incident B: county 14, activated by LST-14, 1442 taking "
        "part. Municipalities 14xx and LST-14 are in county 14; 1381 and LST-13 in county "
        "13.\n\n"
    )
    parts.append(_ANSWERS)
    groups = {
        "HTTP API": [key for key in matrix.ROUTES if " /api/" in key],
        "Pages, files and operations": [key for key in matrix.ROUTES if " /api/" not in key],
    }
    for title, keys in groups.items():
        plain = [key for key in keys if not matrix.ROUTES[key].incident]
        scoped = [key for key in keys if matrix.ROUTES[key].incident]
        parts.append(f"\n## {title}\n\n### Routes without an incident\n\n")
        parts.append(_table(["route", "rule", *CALLERS], _plain_rows(plain)))
        parts.append("\n### Routes of an incident\n\n")
        rows = [
            row for key in scoped for row in _incident_rows(_route_cell(key), matrix.ROUTES[key])
        ]
        parts.append(_table(["route", "rule", "caller", *INCIDENT_RELATIONS], rows))
    parts.append("\n## Stream topics\n\nOn `GET /api/v1/stream` (itself `caller`).\n\n")
    rows = []
    for topic, rule in matrix.STREAM_TOPICS.items():
        if rule.incident:
            rows += _incident_rows(f"`{topic}`", rule)
        else:  # no incident of its own: every relation alike
            by_answer: dict[str, list[Caller]] = {}
            for caller in CALLERS[1:]:
                by_answer.setdefault(matrix.documented(rule, caller, "none").cell(), []).append(
                    caller
                )
            for index, (cell, callers) in enumerate(by_answer.items()):
                first = [f"`{topic}`", rule.name] if index == 0 else ["", ""]
                rows.append([*first, ", ".join(callers), *([cell] * len(INCIDENT_RELATIONS))])
    parts.append(_table(["topic", "rule", "caller", *INCIDENT_RELATIONS], rows))
    parts.append("\n## Rules\n\n")
    rules = {rule.name: rule for rule in (*matrix.ROUTES.values(), *matrix.STREAM_TOPICS.values())}
    parts += [f"- `{name}`: {rule.doc}\n" for name, rule in rules.items()]
    parts.append("\n" + _TOLD_WHY)
    return "".join(parts)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        return 0 if DOC.read_text(encoding="utf-8") == text else 1
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
