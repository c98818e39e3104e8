"""The evaluation panel's texts (a closed incident's page), key: (Swedish, English)."""

from __future__ import annotations

from collections.abc import Mapping

EVALUATION_TEXTS: Mapping[str, tuple[str, str]] = {
    "evaluation.title": ("Utvärdering", "Evaluation"),
    "evaluation.help": (
        "Vad fungerade, vad fungerade inte och vilka åtgärder behövs, med ansvarig. "
        "Utvärderingen blir en del av efterhandsrapporten och händelseloggen; en ny "
        "ersätter den förra.",
        "What worked, what did not and which actions are needed, with an owner. The "
        "evaluation becomes part of the after-action report and the incident log; a new "
        "one replaces the last.",
    ),
    "evaluation.none": ("Ingen utvärdering registrerad ännu.", "No evaluation recorded yet."),
    "evaluation.recorded": ("Registrerad {at} av {by}.", "Recorded {at} by {by}."),
    "evaluation.worked": ("Det här fungerade", "What worked"),
    "evaluation.did_not_work": ("Det här fungerade inte", "What did not work"),
    "evaluation.actions": ("Åtgärder efter händelsen", "Actions after the incident"),
    "evaluation.action": ("Åtgärd", "Action"),
    "evaluation.owner": ("Ansvarig", "Owner"),
    "evaluation.due": ("Klart senast", "Due"),
    "evaluation.action_n": ("Åtgärd {n}", "Action {n}"),
    "evaluation.add": ("Lägg till åtgärd", "Add an action"),
    "evaluation.save": ("Spara utvärderingen", "Save the evaluation"),
    "evaluation.report": ("Efterhandsrapport (utskrift)", "After-action report (print)"),
}
