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


def is_county_board_of(principal: Principal, county: str) -> bool:
    return principal.org_kind == "county_board" and principal.org_county == county


def can_see(principal: Principal, incident: IncidentAccess) -> bool:
    """Participants see incidents they take part in; county boards see their county's;
    the owner sees its own; admins see all."""
    return (
        principal.role == "admin"
        or principal.organisation == incident.owner
        or principal.organisation in incident.participants
        or is_county_board_of(principal, incident.county)
    )


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


def can_see_national(principal: Principal) -> bool:
    """The national roll-up (every active incident in the country, county by county) is
    for national agencies (organisation kind `agency`, such as MSB) and admins."""
    return principal.role == "admin" or principal.org_kind == "agency"
