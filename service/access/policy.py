"""Who may see and do what. Pure functions over a principal and an incident's access facts."""

from __future__ import annotations

from dataclasses import dataclass

from service.access.principal import Principal


@dataclass(frozen=True, slots=True)
class IncidentAccess:
    """What visibility depends on."""

    county: str
    owner: str
    participants: frozenset[str]
    # County boards the incident is shared with (they read as participants do).
    shared_with: frozenset[str] = frozenset()
    # Whether the caller's organisation was a participant and was removed (set only
    # where the caller's own history is looked up: the access matrix's guard).
    removed: bool = False


def is_county_board_of(principal: Principal, county: str) -> bool:
    return principal.org_kind == "county_board" and principal.org_county == county


def can_see(principal: Principal, incident: IncidentAccess) -> bool:
    """Participants see incidents they take part in; county boards see their county's
    and those shared with them; the owner sees its own; admins see all."""
    return (
        principal.role == "admin"
        or principal.organisation == incident.owner
        or principal.organisation in incident.participants
        or is_county_board_of(principal, incident.county)
        or is_shared_with(principal, incident)
    )


def is_shared_with(principal: Principal, incident: IncidentAccess) -> bool:
    """A county board the incident is shared with."""
    return principal.org_kind == "county_board" and principal.organisation in incident.shared_with


def can_report(principal: Principal, incident: IncidentAccess) -> bool:
    """Reporters of a participant report (for their own organisation: the domain checks
    the body). Seeing the incident, through its county or a share, is not enough."""
    return principal.role == "reporter" and principal.organisation in incident.participants


def can_share(principal: Principal, incident: IncidentAccess) -> bool:
    """Who shares an incident with other county boards: who may change it."""
    return can_manage(principal, incident)


def may_share_with(kind: str, county: str | None, incident: IncidentAccess) -> str | None:
    """Why an organisation (its kind and county) cannot be a share's target, or None.

    Only county boards of other counties: the incident's own county board sees it
    already, and agencies follow every county through the national roll-up."""
    if kind != "county_board":
        return "an incident is shared only with county boards"
    if county == incident.county:
        return "the county board of the incident's own county sees it already"
    return None


def can_manage(principal: Principal, incident: IncidentAccess) -> bool:
    """Duty officers of the owner or of the county's board change and close incidents."""
    return principal.role == "duty_officer" and (
        principal.organisation == incident.owner or is_county_board_of(principal, incident.county)
    )


def can_activate_in(principal: Principal, county: str) -> bool:
    """A county board's duty officer activates in its own county; an agency's, in any."""
    if principal.role != "duty_officer":
        return False
    if principal.org_kind == "county_board":
        return principal.org_county == county
    return principal.org_kind == "agency"


def may_report_for(principal: Principal, organisation: str, county: str | None) -> bool:
    """Whether the caller may submit reports as `organisation` (of `county`): the one
    rule for every way a report comes in (the API, the EDXL import, a WIS node's push,
    the command line).

    A reporter for its own organisation; an adapter for the organisations its token is
    scoped to (those listed, or every one of its county), or with no scope for its own
    organisation alone; the operator at the command line for any. Nobody else.
    """
    if principal.role == "reporter":
        return organisation == principal.organisation
    if principal.role != "adapter":
        return False
    scope = principal.scope
    if scope.empty:
        return organisation == principal.organisation
    return (
        scope.everyone
        or organisation in scope.organisations
        or (scope.county is not None and county == scope.county)
    )


def _of_county_board_side(principal: Principal, incident: IncidentAccess) -> bool:
    """The owner, or the county board of the incident's county."""
    return principal.organisation == incident.owner or is_county_board_of(
        principal, incident.county
    )


def can_draft_summary(principal: Principal, incident: IncidentAccess) -> bool:
    """Viewers and duty officers of the owner or of the county's board read and edit the
    incident's shared summary draft (admins do not: they run the service, not the room)."""
    return principal.role in ("viewer", "duty_officer") and _of_county_board_side(
        principal, incident
    )


def can_publish_summary(principal: Principal, incident: IncidentAccess) -> bool:
    """Duty officers of the owner or of the county's board publish summaries."""
    return principal.role == "duty_officer" and _of_county_board_side(principal, incident)


def can_administer(principal: Principal) -> bool:
    """Admins read the audit log, list and revoke tokens and end people's sessions."""
    return principal.role == "admin"


def can_see_national(principal: Principal) -> bool:
    """The national roll-up (every active incident in the country, county by county) is
    for national agencies (organisation kind `agency`, such as MSB) and admins."""
    return principal.role == "admin" or principal.org_kind == "agency"


def can_see_deliveries(principal: Principal, incident: IncidentAccess) -> bool:
    """Who was reminded of what, and the incident's dead letters, are for the county
    board's room (viewers and duty officers of the owner or of the county's board) and
    for admins; not for reporters, who see only their own reports' side."""
    return principal.role == "admin" or (
        principal.role in ("viewer", "duty_officer") and _of_county_board_side(principal, incident)
    )


def can_evaluate(principal: Principal, incident: IncidentAccess) -> bool:
    """Duty officers of the owner record the evaluation of a closed incident."""
    return principal.role == "duty_officer" and principal.organisation == incident.owner


def can_invite(principal: Principal, incident: IncidentAccess) -> bool:
    """Who makes, lists and revokes invitation links of an incident: those who manage it
    (duty officers of the owner or of the incident's county board)."""
    return can_manage(principal, incident)


def can_write_journal(principal: Principal, incident: IncidentAccess) -> bool:
    """Who writes in the incident's journal: the people of a participating organisation
    (reporters, viewers, duty officers) and the viewers and duty officers of the owner or
    of the county's board. Not admins (they run the service, not the room), not adapters,
    not county boards it is only shared with."""
    if principal.role in ("reporter", "viewer", "duty_officer") and (
        principal.organisation in incident.participants
    ):
        return True
    return principal.role in ("viewer", "duty_officer") and _of_county_board_side(
        principal, incident
    )


# --- drills ------------------------------------------------------------------------------


def can_start_drill(principal: Principal, county: str) -> bool:
    """Only a duty officer of the county's board starts a drill there."""
    return principal.role == "duty_officer" and is_county_board_of(principal, county)


def can_see_drills(principal: Principal, county: str) -> bool:
    """The county board's viewers and duty officers see its drills' results; admins all."""
    return principal.role == "admin" or (
        principal.role in ("viewer", "duty_officer") and is_county_board_of(principal, county)
    )
