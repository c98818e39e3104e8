"""The national page's texts, key: (Swedish, English)."""

from __future__ import annotations

from collections.abc import Mapping

NATIONAL_TEXTS: Mapping[str, tuple[str, str]] = {
    "national.title": ("Nationell lägesbild", "National overview"),
    "national.lead": (
        "Alla aktiva händelser i landet, län för län. Uppdateras automatiskt.",
        "Every active incident in the country, county by county. Updates automatically.",
    ),
    "national.real_only": (
        "Siffrorna gäller verkliga händelser; övningar visas för sig längre ned.",
        "The figures are for real incidents; exercises are shown apart further down.",
    ),
    "national.incidents": ("Aktiva händelser", "Active incidents"),
    "national.counties_affected": ("Berörda län", "Counties affected"),
    "national.reports": ("Rapporter inkomna", "Reports received"),
    "national.overdue": ("Försenade", "Overdue"),
    "national.open_needs": ("Öppna behov", "Open needs"),
    "national.requests": ("Begäran till nationell nivå", "Requests to national level"),
    "national.counties_h": ("Län", "Counties"),
    "national.caption": (
        "Värsta påverkan per sektor, rapportering, behov och senaste sammanställning per län",
        "Worst impact per sector, reporting, needs and latest summary per county",
    ),
    "national.county": ("Län", "County"),
    "national.impact": ("Värsta påverkan", "Worst impact"),
    "national.coverage": ("Rapportering", "Reporting"),
    "national.summary": ("Senaste sammanställning", "Latest summary"),
    "national.no_summary": ("Ingen publicerad", "None published"),
    "national.number": ("nr", "no."),
    "national.minutes_ago": ("min sedan", "min ago"),
    "national.hours_ago": ("tim sedan", "h ago"),
    "national.of": ("av", "of"),
    "national.overdue_n": ("försenade", "overdue"),
    "national.none_active": ("Inga aktiva händelser.", "No active incidents."),
    "national.quiet": ("Län utan aktiv händelse", "Counties without an active incident"),
    "national.incident_list": ("Händelser", "Incidents"),
    "national.activated": ("aktiverad", "activated"),
    "national.exercises_h": (
        "Övningar – räknas inte in i siffrorna ovan",
        "Exercises – not counted in the figures above",
    ),
    "national.no_exercises": ("Inga pågående övningar.", "No exercises under way."),
    "national.no_requests": ("Inga", "None"),
}
