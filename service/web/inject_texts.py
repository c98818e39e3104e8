"""The texts of an exercise's script page and of the inject panels, key: (Swedish, English)."""

from __future__ import annotations

from collections.abc import Mapping

INJECT_TEXTS: Mapping[str, tuple[str, str]] = {
    "injects.title": ("Inspel", "Injects"),
    "injects.script": ("Övningens manus", "The exercise's script"),
    "injects.script_link": ("Manus och inspel", "Script and injects"),
    "injects.help": (
        "Inspelen levereras vid sin tid till mottagarnas översikt och rapportsida och med "
        "e-post. Ett inspel kan ändras eller dras tillbaka tills det levererats; ett "
        "tillbakadraget inspel finns kvar, markerat.",
        "Injects are delivered at their time to the dashboard and report page of their "
        "audience, and by e-mail. An inject can be changed or withdrawn until it is "
        "delivered; a withdrawn inject is kept, marked.",
    ),
    "injects.not_exercise": (
        "Inspel hör till övningar. Den här händelsen är verklig.",
        "Injects belong to exercises. This incident is real.",
    ),
    "injects.none": ("Inga inspel ännu.", "No injects yet."),
    "injects.none_delivered": ("Inga inspel har levererats.", "No injects have been delivered."),
    "injects.number": ("Inspel", "Inject"),
    "injects.new": ("Nytt inspel", "New inject"),
    "injects.text": ("Text", "Text"),
    "injects.attachment": ("Bilaga", "Attachment"),
    "injects.attachment_name": ("Bilagans namn (valfritt)", "Attachment's name (optional)"),
    "injects.attachment_text": ("Bilagans text (valfritt)", "Attachment's text (optional)"),
    "injects.audience": ("Mottagare", "Audience"),
    "injects.audience_help": (
        "Kryssa inga för att skicka till alla deltagare.",
        "Tick none to send to every participant.",
    ),
    "injects.everyone": ("Alla deltagare", "Every participant"),
    "injects.offset": ("Minuter efter start", "Minutes after the start"),
    "injects.at": ("Eller vid tidpunkt", "Or at a time"),
    "injects.time_help": (
        "Ange antingen minuter efter övningens start eller en tidpunkt (svensk tid).",
        "Give either minutes after the exercise's start or a time (Swedish time).",
    ),
    "injects.add": ("Lägg till inspel", "Add inject"),
    "injects.change": ("Ändra", "Change"),
    "injects.save_change": ("Spara ändringen", "Save the change"),
    "injects.withdraw": ("Dra tillbaka", "Withdraw"),
    "injects.col.when": ("Tid", "Time"),
    "injects.col.state": ("Läge", "State"),
    "injects.col.action": ("Åtgärd", "Action"),
    "injects.state.scheduled": ("Planerat", "Scheduled"),
    "injects.state.delivered": ("Levererat", "Delivered"),
    "injects.state.withdrawn": ("Tillbakadraget", "Withdrawn"),
    "injects.refused": (
        "Inspelet kunde inte sparas: kontrollera text, mottagare och tid.",
        "The inject could not be saved: check the text, the audience and the time.",
    ),
    "injects.done": ("Sparat.", "Saved."),
    "injects.templates": ("Mallar", "Templates"),
    "injects.template_name": ("Mallens namn", "The template's name"),
    "injects.save_template": ("Spara manuset som mall", "Save the script as a template"),
    "injects.template": ("Mall", "Template"),
    "injects.start": (
        "Start (valfritt; annars övningens start)",
        "Start (optional; else the exercise's start)",
    ),
    "injects.load_template": ("Hämta inspel från mall", "Load injects from a template"),
    "injects.no_templates": (
        "Din organisation har inga mallar ännu.",
        "Your organisation has no templates yet.",
    ),
    "injects.back": ("Tillbaka till översikten", "Back to the dashboard"),
}
