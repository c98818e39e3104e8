"""The texts of the drill pages, key: (Swedish, English)."""

from __future__ import annotations

from collections.abc import Mapping

DRILL_TEXTS: Mapping[str, tuple[str, str]] = {
    "drill.nav": ("Övningar", "Drills"),
    "drill.list_title": ("Rapporteringsövningar", "Reporting drills"),
    "drill.list_lead": (
        "Länets rapporteringsövningar, senaste först: hur stor andel som svarade i tid och "
        "mediantiden till svar, så att beredskapen kan jämföras från kvartal till kvartal.",
        "The county's reporting drills, newest first: the share responding in time and the "
        "median time to respond, so readiness can be compared from quarter to quarter.",
    ),
    "drill.name": ("Övning", "Drill"),
    "drill.none": ("Inga rapporteringsövningar ännu.", "No reporting drills yet."),
    "drill.new": ("Starta rapporteringsövning", "Start a reporting drill"),
    "drill.new_lead": (
        "En övningshändelse skapas med deltagarna och en enda rapporteringstid. "
        "Alla deltagare får meddelandet direkt i alla kanaler de har: e-post med "
        "rapportlänken och mallen, webhookar och sms där det är inställt.",
        "An exercise incident is created with the participants and one deadline. "
        "Every participant gets the message at once by every channel it has: e-mail with "
        "the report link and the template, webhooks and SMS where configured.",
    ),
    "drill.title_field": ("Övningens namn (valfritt)", "The drill's name (optional)"),
    "drill.message": ("Meddelande till deltagarna", "Message to the participants"),
    "drill.respond_minutes": ("Svarstid i minuter", "Time to respond, in minutes"),
    "drill.participants": ("Deltagare", "Participants"),
    "drill.participants_help": (
        "Alla kommuner i länet är valda; avmarkera de som inte deltar.",
        "Every municipality of the county is chosen; untick those not taking part.",
    ),
    "drill.invitations": (
        "Lägg också en inbjudningslänk (utan konto) i varje deltagares e-post",
        "Also put an invitation link (no account needed) in each participant's e-mail",
    ),
    "drill.start": ("Starta övningen", "Start the drill"),
    "drill.refused": (
        "Övningen kunde inte startas: kontrollera meddelandet, svarstiden (5–10080 "
        "minuter) och att minst en deltagare är vald.",
        "The drill could not be started: check the message, the time to respond (5–10080 "
        "minutes) and that at least one participant is chosen.",
    ),
    "drill.result_title": ("Resultat av rapporteringsövningen", "Result of the reporting drill"),
    "drill.not_a_drill": (
        "Den här händelsen är ingen rapporteringsövning.",
        "This incident is not a reporting drill.",
    ),
    "drill.started": ("Startad", "Started"),
    "drill.respond_by": ("Svar senast", "Respond by"),
    "drill.status.running": ("Svarstiden löper", "Time is running"),
    "drill.status.ended": ("Svarstiden ute", "Time is up"),
    "drill.share_in_time": ("Svarade i tid", "Responded in time"),
    "drill.median": ("Mediantid till svar", "Median time to respond"),
    "drill.responded": ("Svarade", "Responded"),
    "drill.participants_count": ("Deltagare", "Participants"),
    "drill.organisation": ("Organisation", "Organisation"),
    "drill.notified_at": ("Aviserad", "Notified"),
    "drill.channels": ("Kanaler (levererad)", "Channels (delivered)"),
    "drill.responded_at": ("Första rapport", "First report"),
    "drill.by_channel": ("Via", "By"),
    "drill.response_time": ("Tid till svar", "Time to respond"),
    "drill.in_time": ("I tid", "In time"),
    "drill.yes": ("Ja", "Yes"),
    "drill.no": ("Nej", "No"),
    "drill.not_delivered": ("ej levererad", "not delivered"),
    "drill.no_channel": ("Ingen kanal", "No channel"),
    "drill.not_responded": ("Har inte svarat", "Has not responded"),
    "drill.everyone_responded": ("Alla deltagare har svarat.", "Every participant has responded."),
    "drill.csv": ("Hämta som CSV", "Download as CSV"),
    "drill.incident": ("Övningshändelsen", "The exercise incident"),
    "drill.result_link": ("Övningens resultat", "The drill's result"),
    "drill.channel.email": ("e-post", "e-mail"),
    "drill.channel.webhook": ("webhook", "webhook"),
    "drill.channel.sms": ("sms", "SMS"),
    "drill.via.web": ("webben", "the web"),
    "drill.via.mail": ("e-post", "e-mail"),
    "drill.via.sms": ("sms", "SMS"),
    "drill.via.link": ("inbjudningslänk", "invitation link"),
    "drill.via.edxl": ("EDXL", "EDXL"),
    "drill.via.wis": ("WIS", "WIS"),
    "drill.minutes": ("min", "min"),
    "drill.seconds": ("s", "s"),
}
