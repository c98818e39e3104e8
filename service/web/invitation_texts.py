"""The texts of the invitation-link pages, key: (Swedish, English)."""

from __future__ import annotations

from collections.abc import Mapping

INVITATION_TEXTS: Mapping[str, tuple[str, str]] = {
    "invite.title": ("Inbjudningslänkar", "Invitation links"),
    "invite.console_link": ("Inbjudningslänkar för rapportering", "Invitation links for reporting"),
    "invite.help": (
        "En länk låter en deltagande organisation rapportera i den här händelsen utan konto. "
        "Den gäller bara för den organisationen och händelsen, tills den går ut eller "
        "återkallas.",
        "A link lets a participating organisation report in this incident without an "
        "account. It is valid for that organisation and incident only, until it expires or "
        "is revoked.",
    ),
    "invite.new": ("Ny länk", "New link"),
    "invite.organisation": ("Organisation", "Organisation"),
    "invite.email": ("Skicka till e-postadress (valfritt)", "Send to e-mail address (optional)"),
    "invite.email_help": (
        "Lämna tomt för att bara visa länken här.",
        "Leave empty to only show the link here.",
    ),
    "invite.days": ("Giltig i antal dagar", "Valid for days"),
    "invite.create": ("Skapa länk", "Create link"),
    "invite.made": (
        "Länken är skapad. Den visas bara nu: kopiera den och lämna den till mottagaren.",
        "The link has been created. It is shown only now: copy it and give it to the recipient.",
    ),
    "invite.sent_to": ("Länken skickas också till", "The link is also sent to"),
    "invite.link": ("Länk", "Link"),
    "invite.none": ("Inga länkar ännu.", "No links yet."),
    "invite.col.id": ("Nr", "No."),
    "invite.col.created": ("Skapad", "Created"),
    "invite.col.expires": ("Går ut", "Expires"),
    "invite.col.status": ("Status", "Status"),
    "invite.col.uses": ("Rapporter", "Reports"),
    "invite.col.last_used": ("Senast använd", "Last used"),
    "invite.col.action": ("Åtgärd", "Action"),
    "invite.status.live": ("Giltig", "Valid"),
    "invite.status.expired": ("Utgången", "Expired"),
    "invite.status.revoked": ("Återkallad", "Revoked"),
    "invite.refused": (
        "Ingen länk skapades: välj en deltagande organisation, en giltig e-postadress (eller "
        "ingen) och 1–30 dagar.",
        "No link was made: choose a participating organisation, a valid e-mail address (or "
        "none) and 1–30 days.",
    ),
    "invite.revoke": ("Återkalla", "Revoke"),
    "invite.revoked": ("Länken är återkallad.", "The link has been revoked."),
    "invite.back": ("Tillbaka till händelsen", "Back to the incident"),
    "invite.reporting_as": (
        "Du rapporterar via en inbjudningslänk för",
        "You are reporting by an invitation link for",
    ),
    "invite.dead": (
        "Länken är okänd, har gått ut eller har återkallats. Be den som bjöd in dig om en ny.",
        "The link is unknown, has expired or has been revoked. Ask whoever invited you for a "
        "new one.",
    ),
}
