"""The access matrix: for every HTTP route, page and stream topic, what each caller is
answered, by role and by its relation to the incident. One table, consulted by the
guard in front of every handler (`service/http/guard.py`), by the pages (`page` in
`service/web/pages.py`) and by the stream hub; rendered into docs/access.md
(`service/access/matrix_doc.py`) and walked by tests/access/test_matrix.py.

A row is `"METHOD /path/{pattern}": RULE` (HEAD is answered as GET). A rule is one
of the named rules below; each decides from the caller and the incident's access
facts with the functions of `service/access/policy.py`. To add a route, add its row
to `ROUTES` (or `STREAM_TOPICS`) naming the rule that fits, then run
`python -m service.access.matrix_doc` to render docs/access.md again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from schemas.common import Role
from service.access.policy import (
    IncidentAccess,
    can_activate_in,
    can_draft_summary,
    can_evaluate,
    can_manage,
    can_publish_summary,
    can_report,
    can_see,
    can_see_deliveries,
    can_see_national,
    can_share,
    can_write_journal,
)
from service.access.principal import Principal

# How a caller stands to the incident a route names (docs/access.md says what each means).
Relation = Literal["owner", "participant", "county", "shared", "former", "agency", "other", "none"]
INCIDENT_RELATIONS: tuple[Relation, ...] = (
    "owner",
    "participant",
    "county",
    "shared",
    "former",
    "agency",
    "other",
)
Caller = Role | Literal["anonymous"]
CALLERS: tuple[Caller, ...] = (
    "anonymous",
    "reporter",
    "viewer",
    "duty_officer",
    "admin",
    "adapter",
)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the caller is told. `status` None: allowed, the handler answers. With a
    status: refused with it (and `slug`), before the handler runs, unless `through`:
    then the handler runs and gives that answer itself (see the rule)."""

    status: int | None = None
    slug: str | None = None
    through: bool = False

    @property
    def allowed(self) -> bool:
        return self.status is None

    @property
    def stops(self) -> bool:
        """Whether the guard answers instead of the handler."""
        return self.status is not None and not self.through

    def cell(self) -> str:
        if self.status is None:
            return "✓"
        text = str(self.status) if self.slug is None else f"{self.status} `{self.slug}`"
        if self.status == 303:
            text = "303 log-in"
        return text + ("†" if self.through else "")


ALLOWED = Answer()
NOT_FOUND = Answer(404, "not-found")
FORBIDDEN = Answer(403, "forbidden")
NOT_PARTICIPANT = Answer(403, "not-participant")
UNAUTHENTICATED = Answer(401, "unauthenticated")
LOG_IN = Answer(303)  # a page: See Other, to the log-in page
NOT_FOUND_FRAME = Answer(404, "not_found")  # a stream topic: an error frame `not_found`

Decide = Callable[[Principal, IncidentAccess | None], Answer]


@dataclass(frozen=True, slots=True)
class Rule:
    """One way of deciding, shared by the rows that name it."""

    name: str
    doc: str
    decide: Decide
    incident: bool = False  # the path names an incident ({id}); `decide` gets its facts
    public: bool = False  # anyone, without credentials
    page: bool = False  # a page: needs a web session; refusals are pages too

    def answer(self, principal: Principal | None, access: IncidentAccess | None) -> Answer:
        """The documented answer for this caller (None: no credentials)."""
        if self.public:
            return ALLOWED
        if principal is None:
            return LOG_IN if self.page else UNAUTHENTICATED
        if self.page and principal.session_id is None:
            return LOG_IN  # pages read the session cookie only; a token opens none
        return self.decide(principal, access)


def _hidden(principal: Principal, access: IncidentAccess | None) -> Answer | None:
    """The answer for a caller who may not see the incident; None if it may.

    404, as for an incident that does not exist, except for a former participant: it
    is told that it was removed (403 `not-participant`). That reveals nothing: it saw
    the incident while it took part.
    """
    if access is None:
        return NOT_FOUND
    if can_see(principal, access):
        return None
    return NOT_PARTICIPANT if access.removed else NOT_FOUND


def _read(principal: Principal, access: IncidentAccess | None) -> Answer:
    return _hidden(principal, access) or ALLOWED


def _seen_and(may: Callable[[Principal, IncidentAccess], bool]) -> Decide:
    """Hidden callers as `_hidden` says; of those who see the incident, those `may`
    allows, and 403 `forbidden` for the rest."""

    def decide(principal: Principal, access: IncidentAccess | None) -> Answer:
        hidden = _hidden(principal, access)
        if hidden is not None:
            return hidden
        assert access is not None
        return ALLOWED if may(principal, access) else FORBIDDEN

    return decide


_manage = _seen_and(can_manage)
_share = _seen_and(can_share)
_draft = _seen_and(can_draft_summary)
_publish = _seen_and(can_publish_summary)
_evaluate = _seen_and(can_evaluate)
_report_page = _seen_and(can_report)
_deliveries = _seen_and(can_see_deliveries)
_journal = _seen_and(can_write_journal)


def _report(principal: Principal, access: IncidentAccess | None) -> Answer:
    hidden = _hidden(principal, access)
    if hidden is not None:
        # A former participant's repeat of a report stored before its removal is still
        # answered as stored (idempotency): the handler decides.
        if hidden == NOT_PARTICIPANT and principal.role == "reporter":
            return replace(hidden, through=True)
        return hidden
    assert access is not None
    if principal.role != "reporter":
        return FORBIDDEN
    return ALLOWED if can_report(principal, access) else NOT_PARTICIPANT


def _follow(principal: Principal, access: IncidentAccess | None) -> Answer:
    """A stream topic: `not_found` for an incident the caller may not see, whatever the
    reason (a subscriber removed while subscribed gets `forbidden` at that moment)."""
    if access is None or not can_see(principal, access):
        return NOT_FOUND_FRAME
    return ALLOWED


def _national(principal: Principal, _access: IncidentAccess | None) -> Answer:
    """The national roll-up does not exist for those who may not follow it."""
    return ALLOWED if can_see_national(principal) else NOT_FOUND


def _national_frame(principal: Principal, _access: IncidentAccess | None) -> Answer:
    return ALLOWED if can_see_national(principal) else NOT_FOUND_FRAME


def _anyone_logged_in(_principal: Principal, _access: IncidentAccess | None) -> Answer:
    return ALLOWED


def _role(*roles: Role) -> Decide:
    def decide(principal: Principal, _access: IncidentAccess | None) -> Answer:
        return ALLOWED if principal.role in roles else FORBIDDEN

    return decide


def _activate(principal: Principal, _access: IncidentAccess | None) -> Answer:
    # The county is in the body; the domain refuses (403) one the caller may not use.
    if principal.role != "duty_officer":
        return FORBIDDEN
    may_somewhere = principal.org_kind == "agency" or (
        principal.org_county is not None and can_activate_in(principal, principal.org_county)
    )
    return ALLOWED if may_somewhere else FORBIDDEN


PUBLIC = Rule("public", "Anyone, without credentials.", _anyone_logged_in, public=True)
SIGNED = Rule(
    "signed",
    "No token or session: the SMS gateway signs the body with its shared secret (401 "
    "`bad-signature` otherwise; 404 where no secret is set). The sender's number decides "
    "whom the message reports for.",
    _anyone_logged_in,
    public=True,
)
CALLER = Rule(
    "caller",
    "Any caller with a token or a session; lists hold only incidents the caller may see.",
    _anyone_logged_in,
)
ACTIVATE = Rule(
    "activate",
    "A duty officer of a county board (in its own county) or of an agency (in any "
    "county); the body's county is checked after the body is read (403 `forbidden`).",
    _activate,
)
ADMIN = Rule("admin", "Admins only.", _role("admin"))
TEMPLATES = Rule(
    "templates",
    "Duty officers; each sees and saves its own organisation's inject templates (saving "
    "names an incident the caller must manage, checked after the body is read).",
    _role("duty_officer"),
)
IMPORT = Rule(
    "import",
    "Reporters (for their own organisation) and adapters; the incident is named in the "
    "envelope and checked when it is read.",
    _role("reporter", "adapter"),
)
ADAPTER = Rule(
    "adapter",
    "Adapter tokens only; the incident is named in the body.",
    _role("adapter"),
)
READ = Rule(
    "read",
    "Whoever may see the incident: admins, its owner, its participants, the county "
    "board of its county and county boards it is shared with.",
    _read,
    incident=True,
)
MANAGE = Rule(
    "manage",
    "Duty officers of the owner or of the incident's county board; others who see the "
    "incident are refused with 403 `forbidden`.",
    _manage,
    incident=True,
)
SHARE = Rule(
    "share",
    "As `manage`. The target must be the county board of another county (422 otherwise).",
    _share,
    incident=True,
)
DRAFT = Rule(
    "draft",
    "Viewers and duty officers of the owner or of the incident's county board (the "
    "county board's shared summary draft); others who see the incident: 403 `forbidden`.",
    _draft,
    incident=True,
)
PUBLISH = Rule(
    "publish",
    "Duty officers of the owner or of the incident's county board; others who see the "
    "incident: 403 `forbidden`.",
    _publish,
    incident=True,
)
EVALUATE = Rule(
    "evaluate",
    "Duty officers of the owner (the incident must be closed: 409 `incident-open` from "
    "the handler otherwise); others who see the incident: 403 `forbidden`.",
    _evaluate,
    incident=True,
)
REPORT = Rule(
    "report",
    "Reporters of a participating organisation, for their own organisation (403 "
    "`wrong-organisation` for another, after the body is read). Others who see the "
    "incident: 403 `forbidden` (not a reporter) or `not-participant`. † A former "
    "participant's repeat of a report stored before its removal is answered 200 as "
    "stored; a new report 403 `not-participant`.",
    _report,
    incident=True,
)
DELIVERIES = Rule(
    "deliveries",
    "Viewers and duty officers of the owner or of the incident's county board, and admins "
    "(who was reminded of what, and the dead letters); others who see the incident: 403 "
    "`forbidden`.",
    _deliveries,
    incident=True,
)
JOURNAL = Rule(
    "journal",
    "People (reporters, viewers, duty officers) of a participating organisation, and "
    "viewers and duty officers of the owner or of the incident's county board; others who "
    "see the incident: 403 `forbidden`.",
    _journal,
    incident=True,
)
NATIONAL = Rule(
    "national",
    "Agency users (organisation kind `agency`, e.g. MSB) and admins; to anyone else the "
    "national roll-up does not exist (404).",
    _national,
)
PAGE_NATIONAL = Rule(
    "page-national", "As `national`, for a person logged in.", _national, page=True
)
FOLLOW_NATIONAL = Rule(
    "follow-national",
    "As `national`; refused with an error frame `not_found` (the socket stays open).",
    _national_frame,
)
PAGE = Rule(
    "page",
    "Any person logged in (a web session; API tokens do not open pages).",
    _anyone_logged_in,
    page=True,
)
PAGE_ACTIVATE = Rule(
    "page-activate", "A duty officer who may activate somewhere.", _activate, page=True
)
INVITED = Rule(
    "invited",
    "Whoever holds a live invitation link (the secret in the path is the credential; no "
    "token or session): the report form and reports for the link's organisation in the "
    "link's incident only. An unknown, expired or revoked link, or a closed incident: 404.",
    _anyone_logged_in,
    public=True,
)
PAGE_READ = Rule("page-read", "As `read`, for a person logged in.", _read, incident=True, page=True)
PAGE_MANAGE = Rule(
    "page-manage",
    "As `manage`, for a person logged in (a closed incident: 403).",
    _manage,
    incident=True,
    page=True,
)
PAGE_DELIVERIES = Rule(
    "page-deliveries",
    "As `deliveries`, for a person logged in.",
    _deliveries,
    incident=True,
    page=True,
)
PAGE_DRAFT = Rule(
    "page-draft", "As `draft`, for a person logged in.", _draft, incident=True, page=True
)
PAGE_ADMIN = Rule(
    "page-admin",
    "Admins logged in (forms also carry the session's CSRF token).",
    _role("admin"),
    page=True,
)
PAGE_REPORT = Rule(
    "page-report",
    "A reporter of a participating organisation; others who see the incident: 403.",
    _report_page,
    incident=True,
    page=True,
)
FOLLOW = Rule(
    "follow",
    "As `read`; refused with an error frame `not_found` (the socket stays open). A look "
    "back (a `moment` frame) needs the topic followed on that socket and is asked the same "
    "rule again; refused, it gets `not_found` with its `ref`.",
    _follow,
    incident=True,
)
WATCH = Rule(
    "watch",
    "Any caller on the stream; only incidents the caller may see are listed and announced.",
    _anyone_logged_in,
)

# --- drills ------------------------------------------------------------------------------


def _start_drill(principal: Principal, _access: IncidentAccess | None) -> Answer:
    # The county is in the body; the domain refuses (403) another county than the board's.
    return (
        ALLOWED
        if principal.role == "duty_officer" and principal.org_kind == "county_board"
        else FORBIDDEN
    )


def _drills(principal: Principal, _access: IncidentAccess | None) -> Answer:
    if principal.role == "admin":
        return ALLOWED
    board_side = principal.org_kind == "county_board" and principal.role in (
        "viewer",
        "duty_officer",
    )
    return ALLOWED if board_side else FORBIDDEN


START_DRILL = Rule(
    "drill-start",
    "A duty officer of a county board; the body's county must be the board's own (403 "
    "`forbidden` after the body is read).",
    _start_drill,
)
DRILLS = Rule(
    "drills",
    "Viewers and duty officers of a county board, and admins; a drill of another county "
    "does not exist for the caller (404).",
    _drills,
)
PAGE_DRILL_START = Rule(
    "page-drill-start", "As `drill-start`, for a person logged in.", _start_drill, page=True
)
PAGE_DRILLS = Rule(
    "page-drills",
    "As `drills`, for a person logged in: the drills of the board's own county.",
    _drills,
    page=True,
)
PAGE_DRILL = Rule(
    "page-drill",
    "As `deliveries`, for a person logged in: the result of the drill the incident "
    "belongs to (an incident that is no drill says so).",
    _deliveries,
    incident=True,
    page=True,
)

# Every route of the app: method and path pattern (as aiohttp's `canonical`) → rule.
ROUTES: dict[str, Rule] = {
    # operations and reference
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /api/v1/schemas": PUBLIC,
    "GET /api/v1/schemas/{name}": PUBLIC,
    "GET /api/v1/openapi.json": PUBLIC,
    "GET /api/docs": PUBLIC,
    "GET /static/{name}": PUBLIC,
    "GET /sw.js": PUBLIC,
    # API without an incident in the path
    "GET /api/v1/organisations": CALLER,
    "GET /api/v1/incidents": CALLER,
    "POST /api/v1/incidents": ACTIVATE,
    "GET /api/v1/stream": CALLER,
    "GET /api/v1/organisations/{code}/contacts": ADMIN,
    "POST /api/v1/organisations/{code}/contacts": ADMIN,
    "DELETE /api/v1/organisations/{code}/contacts/{email}": ADMIN,
    "GET /api/v1/outbox": ADMIN,
    "POST /api/v1/outbox/{id}/retry": ADMIN,
    "POST /api/v1/exchange/edxl": IMPORT,
    "POST /api/v1/exchange/wis/answers": ADAPTER,
    "POST /api/v1/exchange/sms": SIGNED,
    "GET /api/v1/national": NATIONAL,
    # API of an incident
    "GET /api/v1/incidents/{id}": READ,
    "PATCH /api/v1/incidents/{id}": MANAGE,
    "POST /api/v1/incidents/{id}/close": MANAGE,
    "PUT /api/v1/incidents/{id}/evaluation": EVALUATE,
    "POST /api/v1/incidents/{id}/evaluation": EVALUATE,
    "GET /api/v1/incidents/{id}/invitations": MANAGE,
    "POST /api/v1/incidents/{id}/invitations": MANAGE,
    "DELETE /api/v1/incidents/{id}/invitations/{invitation}": MANAGE,
    "PUT /api/v1/incidents/{id}/shares/{organisation}": SHARE,
    "DELETE /api/v1/incidents/{id}/shares/{organisation}": SHARE,
    "POST /api/v1/incidents/{id}/reports": REPORT,
    "GET /api/v1/incidents/{id}/reports": READ,
    "GET /api/v1/incidents/{id}/picture": READ,
    "GET /api/v1/incidents/{id}/log": READ,
    "GET /api/v1/incidents/{id}/timeline": READ,
    "GET /api/v1/incidents/{id}/readout": READ,
    "GET /api/v1/incidents/{id}/deliveries": DELIVERIES,
    "GET /api/v1/incidents/{id}/export": READ,
    "GET /api/v1/incidents/{id}/rounds": READ,
    "GET /api/v1/incidents/{id}/rounds/{n}/picture": READ,
    "GET /api/v1/incidents/{id}/summaries": READ,
    "POST /api/v1/incidents/{id}/summaries": PUBLISH,
    "GET /api/v1/incidents/{id}/summaries/draft": DRAFT,
    "PUT /api/v1/incidents/{id}/summaries/draft": DRAFT,
    "GET /api/v1/incidents/{id}/summaries/{n}": READ,
    "GET /api/v1/incidents/{id}/summaries/{n}/deliveries": READ,
    "GET /api/v1/incidents/{id}/journal": READ,
    "POST /api/v1/incidents/{id}/journal": JOURNAL,
    # drills
    "POST /api/v1/drills": START_DRILL,
    "GET /api/v1/drills": DRILLS,
    "GET /api/v1/drills/{id}": DRILLS,
    "GET /drills": PAGE_DRILLS,
    "GET /drills/new": PAGE_DRILL_START,
    "POST /drills": PAGE_DRILL_START,
    "GET /incidents/{id}/drill": PAGE_DRILL,
    # the script of an exercise (injects) and its templates
    "GET /api/v1/incidents/{id}/injects": READ,
    "POST /api/v1/incidents/{id}/injects": MANAGE,
    "PUT /api/v1/incidents/{id}/injects/{inject}": MANAGE,
    "POST /api/v1/incidents/{id}/injects/{inject}/withdraw": MANAGE,
    "POST /api/v1/incidents/{id}/injects/from-template": MANAGE,
    "GET /api/v1/inject-templates": TEMPLATES,
    "POST /api/v1/inject-templates": TEMPLATES,
    # pages
    "GET /": PUBLIC,
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    "POST /logout": PUBLIC,
    "GET /lang/{lang}": PUBLIC,
    "GET /incidents": PAGE,
    "GET /national": PAGE_NATIONAL,
    "GET /incidents/new": PAGE_ACTIVATE,
    "GET /incidents/{id}": PAGE_READ,
    "GET /incidents/{id}/edit": PAGE_MANAGE,
    "GET /incidents/{id}/close": PAGE_MANAGE,
    "GET /incidents/{id}/invitations": PAGE_MANAGE,
    "POST /incidents/{id}/invitations": PAGE_MANAGE,
    "POST /incidents/{id}/invitations/{invitation}/revoke": PAGE_MANAGE,
    # the script page of an exercise
    "GET /incidents/{id}/injects": PAGE_MANAGE,
    "POST /incidents/{id}/injects": PAGE_MANAGE,
    "POST /incidents/{id}/injects/{inject}/change": PAGE_MANAGE,
    "POST /incidents/{id}/injects/{inject}/withdraw": PAGE_MANAGE,
    "POST /incidents/{id}/inject-templates": PAGE_MANAGE,
    "POST /incidents/{id}/injects-from-template": PAGE_MANAGE,
    "GET /invite/{secret}": INVITED,
    "POST /invite/{secret}/reports": INVITED,
    "GET /incidents/{id}/report": PAGE_REPORT,
    "GET /incidents/{id}/organisations/{code}": PAGE_READ,
    "GET /incidents/{id}/rounds/{n}": PAGE_READ,
    "GET /incidents/{id}/summaries": PAGE_READ,
    "GET /incidents/{id}/summaries/draft": PAGE_DRAFT,
    "GET /incidents/{id}/deliveries": PAGE_DELIVERIES,
    "GET /incidents/{id}/summaries/{n}": PAGE_READ,
    "GET /incidents/{id}/journal": PAGE_READ,
    # for admins: the audit log, tokens and sessions
    "GET /admin/audit": PAGE_ADMIN,
    "GET /admin/audit.csv": PAGE_ADMIN,
    "GET /admin/access": PAGE_ADMIN,
    "POST /admin/tokens/{id}/revoke": PAGE_ADMIN,
    "POST /admin/sessions/{id}/end": PAGE_ADMIN,
}

# Stream topics (`subscribe` frames on `GET /api/v1/stream`).
STREAM_TOPICS: dict[str, Rule] = {
    "incident:{id}": FOLLOW,
    "incidents": WATCH,
    "national": FOLLOW_NATIONAL,
}


def route_key(method: str, canonical: str) -> str:
    return f"{'GET' if method == 'HEAD' else method} {canonical}"


def rule_for(method: str, canonical: str) -> Rule | None:
    """The row of a route; None when the matrix does not list it."""
    return ROUTES.get(route_key(method, canonical))


def may_follow(principal: Principal, access: IncidentAccess) -> bool:
    """Whether the caller may follow the incident on the stream (`incident:{id}`)."""
    return STREAM_TOPICS["incident:{id}"].answer(principal, access).allowed


# --- the relations, as facts -------------------------------------------------------------
# One example of each relation: the caller's organisation (code, kind, county) and the
# incident's access facts. The rendering evaluates every rule on these; the matrix test
# builds exactly these incidents on a real database and calls as these organisations.

# Incident A: county 14, activated by MSB, 1442 taking part, 1440 removed, shared with
# Halland's board. Incident B: county 14, activated by the county board, 1442 taking part.
INCIDENT_A = IncidentAccess(
    county="14", owner="MSB", participants=frozenset({"1442"}), shared_with=frozenset({"LST-13"})
)
INCIDENT_B = IncidentAccess(county="14", owner="LST-14", participants=frozenset({"1442"}))


@dataclass(frozen=True, slots=True)
class Example:
    organisation: str
    kind: str
    county: str | None
    incident: Literal["A", "B"] | None
    meaning: str

    def access(self) -> IncidentAccess | None:
        if self.incident is None:
            return None
        facts = INCIDENT_A if self.incident == "A" else INCIDENT_B
        return replace(facts, removed=self.organisation == "1440")

    def principal(self, caller: Caller) -> Principal | None:
        if caller == "anonymous":
            return None
        # People log in (a session); adapters cannot.
        return Principal.described(
            self.organisation, self.kind, self.county, caller, person=caller != "adapter"
        )


EXAMPLES: dict[Relation, tuple[Example, ...]] = {
    "owner": (Example("MSB", "agency", None, "A", "the organisation that activated it"),),
    "participant": (Example("1442", "municipality", "14", "A", "a participant"),),
    "county": (Example("LST-14", "county_board", "14", "A", "the county board of its county"),),
    "shared": (Example("LST-13", "county_board", "13", "A", "a county board it is shared with"),),
    "former": (Example("1440", "municipality", "14", "A", "a participant removed by a change"),),
    "agency": (Example("MSB", "agency", None, "B", "an agency that neither owns nor takes part"),),
    "other": (
        Example("1443", "municipality", "14", "A", "a municipality of its county not taking part"),
        Example("1381", "municipality", "13", "A", "a municipality of another county"),
        Example("LST-13", "county_board", "13", "B", "another county's board without a share"),
    ),
    "none": (Example("LST-14", "county_board", "14", None, "the route names no incident"),),
}


def documented(rule: Rule, caller: Caller, relation: Relation) -> Answer:
    """The answer the table gives (every example of the relation must agree)."""
    answers = {
        rule.answer(example.principal(caller), example.access()) for example in EXAMPLES[relation]
    }
    if len(answers) != 1:
        raise AssertionError(f"{rule.name}: the examples of {relation!r} disagree: {answers}")
    return answers.pop()
