"""Texts of the Rakel read-out panel and the deliveries page, key: (Swedish, English)."""

from __future__ import annotations

from collections.abc import Mapping

READOUT_TEXTS: Mapping[str, tuple[str, str]] = {
    "readout.title": ("Uppläsning för Rakel", "Read-out for Rakel radio"),
    "readout.help": (
        "Lägesbilden som en kort text att läsa upp i Rakel, under en minut.",
        "The picture as a short text to read aloud on Rakel, in under a minute.",
    ),
    "readout.whom": ("Läs upp", "Read out"),
    "readout.county": ("Hela lägesbilden", "The whole picture"),
    "readout.show": ("Visa uppläsningen", "Show the read-out"),
    "readout.speak": ("Läs upp med talsyntes", "Speak it with speech synthesis"),
    "readout.stop": ("Sluta läsa upp", "Stop speaking"),
    "js.readout.words": ("{n} ord, omkring {s} sekunder.", "{n} words, about {s} seconds."),
    "js.readout.left_out": (
        "{n} meningar fick inte plats; resten finns i Lägesbild.",
        "{n} sentences did not fit; the rest is in Lägesbild.",
    ),
    "js.readout.failed": ("Uppläsningen kunde inte hämtas.", "The read-out could not be fetched."),
    "deliveries.title": ("Påminnelser och leveranser", "Reminders and deliveries"),
    "deliveries.lead": (
        "Vem som påmints om vad och när, genom vilken kanal, och om det kom fram. "
        "Meddelanden som inte kunde levereras står överst.",
        "Who was reminded of what and when, through which channel, and whether it "
        "arrived. Messages that could not be delivered come first.",
    ),
    "deliveries.dead": ("Kunde inte levereras", "Could not be delivered"),
    "deliveries.dead_none": ("Inga meddelanden har fastnat.", "No message is stuck."),
    "deliveries.sent": ("Meddelanden till personer", "Messages to people"),
    "deliveries.none": ("Inga påminnelser eller utskick ännu.", "No reminders or mailings yet."),
    "deliveries.counts": (
        "Alla meddelanden i händelsen: {delivered} levererade, {pending} väntar, {dead} "
        "kunde inte levereras.",
        "All messages of the incident: {delivered} delivered, {pending} pending, {dead} "
        "undeliverable.",
    ),
    "deliveries.when": ("Skapat", "Created"),
    "deliveries.what": ("Vad", "What"),
    "deliveries.about": ("Gäller", "About"),
    "deliveries.deadline": ("Rapporteringstid", "Deadline"),
    "deliveries.to": ("Till", "To"),
    "deliveries.channel": ("Kanal", "Channel"),
    "deliveries.status": ("Status", "Status"),
    "deliveries.delivered_at": ("Levererat", "Delivered"),
    "deliveries.attempts": ("Försök", "Attempts"),
    "deliveries.error": ("Fel", "Error"),
    "deliveries.open": ("Påminnelser och leveranser", "Reminders and deliveries"),
    "delivery.pending": ("Väntar", "Pending"),
    "delivery.delivered": ("Levererat", "Delivered"),
    "delivery.dead": ("Kunde inte levereras", "Undeliverable"),
}
