"""Swedish first, English second: every text of the web app in both languages.

The pages' own texts are here; the words of the domain's vocabularies (sectors, impact
levels, trends, …) come from service.domain.labels, which exports and e-mail share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import web

from service.domain.labels import EXERCISE_MARK, LABELS, LANGS, Lang
from service.web.admin_texts import ADMIN_TEXTS
from service.web.evaluation_texts import EVALUATION_TEXTS
from service.web.invitation_texts import INVITATION_TEXTS
from service.web.national_texts import NATIONAL_TEXTS
from service.web.readout_texts import READOUT_TEXTS

LANG_COOKIE = "lagesbild_lang"

# The pages' own texts, key: (Swedish, English); TEXTS adds the domain's labels.
PAGE_TEXTS: Mapping[str, tuple[str, str]] = {
    "app": ("Lägesbild", "Lägesbild"),
    "skip": ("Hoppa till innehållet", "Skip to content"),
    "nav": ("Huvudmeny", "Main menu"),
    "incidents": ("Händelser", "Incidents"),
    "logout": ("Logga ut", "Log out"),
    "login": ("Logga in", "Log in"),
    "email": ("E-postadress", "E-mail address"),
    "password": ("Lösenord", "Password"),
    "login_failed": ("Fel e-postadress eller lösenord.", "Wrong e-mail address or password."),
    "login_expired": (
        "Formuläret hade gått ut. Skriv lösenordet igen och logga in.",
        "The form had expired. Type the password again and log in.",
    ),
    "login_throttled": (
        "För många misslyckade inloggningar. Försök igen om {minutes} min.",
        "Too many failed log-ins. Try again in {minutes} min.",
    ),
    "login_intro": (
        "Logga in med ditt konto för att rapportera eller följa lägesbilden.",
        "Log in with your account to report or follow the situation picture.",
    ),
    "language": ("In English", "På svenska"),
    "signed_in_as": ("Inloggad som", "Logged in as"),
    "active": ("Pågående", "Active"),
    "closed": ("Avslutade", "Closed"),
    "none_yet": ("Inga händelser.", "No incidents."),
    "new_incident": ("Aktivera ny händelse", "Activate a new incident"),
    "dashboard": ("Lägesbild", "Situation picture"),
    "report": ("Rapportera", "Report"),
    "edit": ("Ändra", "Edit"),
    "close_incident": ("Avsluta händelsen", "Close the incident"),
    "county": ("Län", "County"),
    "severity": ("Allvarlighetsgrad", "Severity"),
    "deadline": ("Nästa rapporteringstid", "Next reporting deadline"),
    "no_deadline": ("Ingen rapporteringstid", "No deadline"),
    "received": ("Inkomna", "Received"),
    "incident_code": ("Kod för rapport med e-post", "Code for reports by e-mail"),
    "of": ("av", "of"),
    "activated": ("Aktiverad", "Activated"),
    "closed_at": ("Avslutad", "Closed"),
    "summary": ("Sammanfattning", "Summary"),
    "title": ("Rubrik", "Title"),
    "description": ("Beskrivning", "Description"),
    "participants": ("Rapporterande organisationer", "Reporting organisations"),
    "history": ("Rapporthistorik", "Report history"),
    "not_found": ("Sidan finns inte.", "The page does not exist."),
    "forbidden": ("Du har inte behörighet till sidan.", "You may not see this page."),
    "back": ("Tillbaka", "Back"),
    "version": ("Version", "Version"),
    "as_of": ("Lägesbild per", "Situation as of"),
    "received_at": ("Mottagen", "Received"),
    "submitted_by": ("Inskickad av", "Submitted by"),
    "late": ("sen", "late"),
    "unchanged_mark": ("oförändrat", "unchanged"),
    "changed_fields": ("Ändrat sedan föregående", "Changed since the previous report"),
    "no_changes": ("Inga ändringar", "No changes"),
    "full_report": ("Hela rapporten", "The whole report"),
    "no_reports": ("Inga rapporter ännu.", "No reports yet."),
    "field.situation": ("Aktuellt läge", "Current situation"),
    "field.situation_help": (
        "Vad har hänt och hur ser det ut nu? Konsekvenser för invånare och verksamheter.",
        "What has happened and how is it now? Consequences for residents and services.",
    ),
    "field.trend": ("Förväntad utveckling", "Expected development"),
    "field.development": ("Kommentar om utvecklingen", "Comment on the development"),
    "field.sectors": (
        "Påverkan på samhällsviktig verksamhet",
        "Impact on vital societal functions",
    ),
    "field.sector_text": ("Kommentar", "Comment"),
    "field.measures_taken": ("Vidtagna åtgärder", "Measures taken"),
    "field.measures_planned": ("Planerade åtgärder", "Measures planned"),
    "field.one_per_line": ("En åtgärd per rad.", "One measure per line."),
    "field.needs": ("Behov av stöd", "Needs for support"),
    "field.need": ("Behov", "Need"),
    "field.need_text": ("Vad behövs?", "What is needed?"),
    "field.urgency": ("Brådska", "Urgency"),
    "field.need_status": ("Status", "Status"),
    "field.add_need": ("Lägg till behov", "Add a need"),
    "field.management": ("Krisledning", "Crisis management"),
    "field.management_text": ("Kommentar om ledningen", "Comment on management"),
    "field.public_information": ("Kriskommunikation", "Public information"),
    "field.contact": ("Kontaktperson (ISK)", "Contact (coordination)"),
    "field.contact_name": ("Namn", "Name"),
    "field.contact_phone": ("Telefon", "Phone"),
    "field.contact_email": ("E-post", "E-mail"),
    "field.next_report_at": ("Nästa rapport senast", "Next report at the latest"),
    "field.as_of": ("Lägesbild per (tid)", "Situation as of (time)"),
    "field.not_stated": ("Ej angivet", "Not stated"),
    "js.connecting": ("Ansluter…", "Connecting…"),
    "js.live": ("Live – uppdateras automatiskt", "Live – updates automatically"),
    "js.reconnecting": (
        "Anslutningen bröts – återansluter. Bilden kan vara inaktuell sedan",
        "Connection lost – reconnecting. The picture may be stale since",
    ),
    "js.session_ended": ("Du är utloggad. Logga in igen.", "You are logged out. Log in again."),
    "js.status": ("Status", "Status"),
    "js.updated": ("Senast uppdaterad", "Last updated"),
    "js.not_reported": ("Har inte rapporterat", "Not yet reported"),
    "js.all_reported": ("Alla har rapporterat.", "Everyone has reported."),
    "js.open_needs": ("Öppna behov av stöd", "Open needs for support"),
    "js.no_needs": ("Inga öppna behov.", "No open needs."),
    "js.matrix": ("Påverkan per kommun och sektor", "Impact per municipality and sector"),
    "js.matrix_caption": (
        "Påverkansgrad per kommun och samhällsviktig verksamhet. Sortera med knapparna i rubrikraden.",
        "Impact per municipality and vital function. Sort with the buttons in the header row.",
    ),
    "js.municipality": ("Kommun", "Municipality"),
    "js.impact": ("Övergripande påverkan", "Overall impact"),
    "js.trend": ("Trend", "Trend"),
    "js.last_report": ("Senaste rapport", "Latest report"),
    "js.never": ("Ingen rapport", "No report"),
    "js.late": ("Sen", "Late"),
    "js.missing": ("Ej inkommen", "Missing"),
    "js.overdue": ("Försenad", "Overdue"),
    "js.since": ("sedan", "since"),
    "js.timeline": ("Påverkan över tid", "Impact over time"),
    "js.timeline_help": (
        "Antal kommuner per påverkansgrad i varje sektor, från aktivering till nu.",
        "Number of municipalities per impact level in each sector, from activation until now.",
    ),
    "js.history": ("Visa rapporthistorik för", "Show report history for"),
    "js.map": ("Karta", "Map"),
    "js.map_label": ("Karta över påverkan per kommun", "Map of impact per municipality"),
    "js.counties_map_label": ("Karta över påverkan per län", "Map of impact per county"),
    "js.map_help": (
        "Siffran i varje kommun är påverkansgraden. Välj en kommun för dess rapporthistorik.",
        "The digit in each municipality is its impact level. Choose one for its report history.",
    ),
    "js.map_not_taking_part": ("Deltar inte", "Not taking part"),
    "js.map_impact": ("påverkan", "impact"),
    "js.map_last_report": ("senaste rapport", "last report"),
    "js.map_never": ("ingen rapport", "no report"),
    "js.map_overdue": ("försenad", "overdue"),
    "js.map_coverage": (
        "{received} av {expected} har rapporterat, {overdue} försenade",
        "{received} of {expected} have reported, {overdue} overdue",
    ),
    "js.axis_time": ("Tid", "Time"),
    "js.deadline_mark": ("Streckad linje: rapporteringstid", "Dashed line: reporting deadline"),
    "js.chart_table": (
        "{sector}: antal kommuner per påverkansgrad över tid",
        "{sector}: number of municipalities per impact level over time",
    ),
    "js.chart_table_thinned": (
        "(som antalen stod i slutet av varje period om {minutes} min)",
        "(as the counts stood at the end of each period of {minutes} min)",
    ),
    "js.at_time": ("Tidpunkt", "Time"),
    "js.none": ("Ingen", "None"),
    "js.of": ("av", "of"),
    "js.past_deadline": (
        "Försenad: ni har inte rapporterat till förra rapporteringstiden",
        "Overdue: you did not report for the last deadline",
    ),
    "js.previous": ("Förra rapporten", "Previous report"),
    "js.first_report": (
        "Ni har inte rapporterat i den här händelsen än.",
        "You have not reported in this incident yet.",
    ),
    "js.discard_draft": ("Släng utkastet", "Discard the draft"),
    "js.unchanged": ("Oförändrat sedan förra rapporten", "Unchanged since the previous report"),
    "js.unchanged_help": (
        "Skickar en ny rapport med samma innehåll som förra gången, med dagens tid.",
        "Sends a new report with the same content as last time, with the current time.",
    ),
    "js.or_fill_in": ("…eller fyll i en ny rapport:", "…or fill in a new report:"),
    "js.as_of_help": (
        "Svensk tid. Lämna tomt för att använda tiden när du skickar.",
        "Swedish time. Leave empty to use the time you send.",
    ),
    "js.sectors_help": (
        "Påverkansgrad enligt samma skala som i WIS. Lämna \u201dEj angivet\u201d om ni inte vet.",
        "Impact on the same scale as in WIS. Leave \u201cNot stated\u201d if you do not know.",
    ),
    "js.measures": ("Åtgärder", "Measures"),
    "js.needs_help": (
        "Behov från förra rapporten finns kvar. Markera dem som lösta när de är lösta.",
        "Needs from the previous report stay. Mark them resolved when they are.",
    ),
    "js.management_level": ("Ledningsnivå", "Management level"),
    "js.review": ("Granska och skicka", "Review and send"),
    "js.review_title": (
        "Detta har ändrats sedan förra rapporten",
        "Changed since the previous report",
    ),
    "js.review_first": ("Detta skickas i rapporten", "This is what the report says"),
    "js.send": ("Skicka rapporten", "Send the report"),
    "js.keep_editing": ("Fortsätt redigera", "Keep editing"),
    "js.incident_closed": (
        "Händelsen är avslutad och tar inte emot fler rapporter.",
        "The incident is closed and takes no more reports.",
    ),
    "js.draft_restored": ("Utkast återställt, sparat", "Draft restored, saved"),
    "js.draft_outdated": (
        "Obs! En nyare rapport har kommit in sedan utkastet skrevs.",
        "Note: a newer report has arrived since the draft was written.",
    ),
    "js.receipt.sending": ("Skickar…", "Sending…"),
    "js.receipt.received": ("Rapporten är mottagen", "The report has been received"),
    "js.receipt.refused": ("Rapporten togs inte emot.", "The report was not accepted."),
    "js.receipt.queued": (
        "Inte skickad än – sparad i telefonen/datorn.",
        "Not sent yet – kept on this device.",
    ),
    "js.was_late": (
        "Rapporten kom in efter rapporteringstiden.",
        "The report arrived after the deadline.",
    ),
    "js.will_retry": (
        "Skickas automatiskt när nätet fungerar igen.",
        "It will be sent automatically when the network is back.",
    ),
    "js.logged_out_draft_kept": (
        "Du är utloggad. Utkastet är sparat – logga in igen och skicka.",
        "You are logged out. The draft is kept – log in again and send.",
    ),
    "js.no_changes_send_unchanged": (
        "Inget har ändrats sedan förra rapporten.",
        "Nothing has changed since the previous report.",
    ),
    "js.first_version": ("Första rapporten", "First report"),
    "js.error.unreadable": (
        "Tjänsten svarade inte som väntat (fel {status}). Försök igen om en stund.",
        "The service did not answer as expected (error {status}). Try again in a moment.",
    ),
    "js.error.network": (
        "Tjänsten gick inte att nå. Kontrollera anslutningen och försök igen.",
        "The service could not be reached. Check the connection and try again.",
    ),
    "console.edit_title": ("Ändra händelse", "Edit incident"),
    "console.exercise": (f"Detta är en övning ({EXERCISE_MARK})", "This is an exercise"),
    "console.participants_help": (
        "Kommunerna i valt län är förvalda. Bocka ur dem som inte ska rapportera, lägg till andra vid behov.",
        "The municipalities of the chosen county are selected. Untick those who need not report; add others if needed.",
    ),
    "console.all": ("Välj alla", "Select all"),
    "console.none": ("Välj ingen", "Select none"),
    "console.chosen": ("valda", "selected"),
    "console.add_other": (
        "Lägg till organisation (namn eller kod)",
        "Add an organisation (name or code)",
    ),
    "console.add": ("Lägg till", "Add"),
    "console.schedule": ("Rapporteringstider", "Reporting deadlines"),
    "console.daily": ("Fasta klockslag varje dag", "Fixed times every day"),
    "console.interval": ("Med jämna mellanrum", "At a fixed interval"),
    "console.times": ("Klockslag", "Times"),
    "console.times_help": (
        "Till exempel 08:00, 14:00, 20:00 (svensk tid).",
        "For example 08:00, 14:00, 20:00 (Swedish time).",
    ),
    "console.interval_hours": ("Intervall i timmar", "Interval in hours"),
    "console.first_due": ("Första rapporteringstid", "First deadline"),
    "help.swedish_time": ("Svensk tid.", "Swedish time."),
    "console.save": ("Spara ändringar", "Save changes"),
    "console.activate": ("Aktivera händelsen", "Activate the incident"),
    "console.close_help": (
        "När händelsen avslutas tar den inte emot fler rapporter. Sammanfattningen visas för alla.",
        "Once closed, the incident takes no more reports. The summary is shown to everyone.",
    ),
    "console.confirm_close": (
        "Jag vill avsluta händelsen nu. Det går inte att ångra.",
        "I want to close the incident now. It cannot be undone.",
    ),
    "console.need_confirm": (
        "Bekräfta att händelsen ska avslutas.",
        "Confirm that the incident is to be closed.",
    ),
    "console.need_summary": ("Skriv en sammanfattning.", "Write a summary."),
    "console.unknown_org": (
        "Hittar ingen organisation med det namnet.",
        "No organisation by that name.",
    ),
    "js.moment.title": ("Läget vid en tidpunkt", "The picture at a moment"),
    "js.moment.label": ("Tidpunkt", "Moment"),
    "js.moment.now": ("Nu (live)", "Now (live)"),
    "js.moment.not_live": (
        "Inte live – visar läget {time}",
        "Not live – showing the picture at {time}",
    ),
    "js.moment.back": ("Tillbaka till live", "Back to live"),
    "js.moment.failed": (
        "Läget vid den tidpunkten gick inte att hämta. Försök igen.",
        "The picture at that moment could not be fetched. Try again.",
    ),
    "js.moment.help": (
        "Dra i reglaget, eller använd piltangenterna (5 minuter), Page Up och Page Down "
        "(nästa och föregående rapporteringstid), Home (aktiveringen) och End (live). "
        "Strecken under reglaget är rapporteringstiderna. Svensk tid.",
        "Drag the slider, or use the arrow keys (5 minutes), Page Up and Page Down (the "
        "next and previous deadline), Home (the activation) and End (live). The marks "
        "below the slider are the deadlines. Swedish time.",
    ),
    "js.changes.title": ("Markera ändringar sedan", "Mark changes since"),
    "js.changes.deadline": ("senaste rapporteringstiden", "the last deadline"),
    "js.changes.summary": ("senaste publicerade sammanställningen", "the last published summary"),
    "js.changes.only": ("Visa bara kommuner som ändrats", "Show only municipalities that changed"),
    "js.changes.counts": (
        "Sedan {when}: ändrade kommuner {orgs}, nya behov {new}, lösta behov {resolved}.",
        "Since {when}: municipalities changed {orgs}, new needs {new}, resolved needs {resolved}.",
    ),
    "js.changes.no_deadline": (
        "Ingen rapporteringstid har passerat än.",
        "No deadline has passed yet.",
    ),
    "js.changes.no_summary": (
        "Ingen sammanställning är publicerad än.",
        "No summary has been published yet.",
    ),
    "js.changes.summary_n": ("sammanställning {n},", "summary {n},"),
    "js.changes.added": ("Ny deltagare", "New participant"),
    "js.changes.new_need": ("Nytt", "New"),
    "js.changes.resolved_h": ("Lösta behov", "Resolved needs"),
    "js.changed": ("Ändrad", "Changed"),
    "share.title": ("Delad med andra län", "Shared with other counties"),
    "share.help": (
        "Länsstyrelsen i ett annat län ser händelsen som deltagarna gör, men rapporterar inte.",
        "The county board of another county sees the incident as participants do, but does not report.",
    ),
    "share.none": ("Inte delad.", "Not shared."),
    "share.with": ("Dela med", "Share with"),
    "share.do": ("Dela", "Share"),
    "share.stop": ("Sluta dela", "Stop sharing"),
    "share.stop_with": ("Sluta dela med {name}", "Stop sharing with {name}"),
    "rounds.title": ("Tidigare rapporteringstider", "Past reporting deadlines"),
    "rounds.none": ("Ingen rapporteringstid har passerat än.", "No deadline has passed yet."),
    "rounds.round": ("Omgång", "Round"),
    "rounds.on_time": ("i tid", "on time"),
    "rounds.late": ("sena", "late"),
    "rounds.overdue": ("saknas", "missing"),
    "rounds.at_deadline": ("Läget vid rapporteringstiden", "The picture at the deadline"),
    "rounds.on_time_h": ("Rapporterade i tid", "Reported on time"),
    "rounds.late_h": ("Rapporterade sent", "Reported late"),
    "rounds.overdue_h": ("Har inte rapporterat", "Have not reported"),
    "rounds.earlier": ("Föregående omgång", "Previous round"),
    "rounds.later": ("Nästa omgång", "Next round"),
    "rounds.late_note": (
        "Sena rapporter räknas som de ser ut nu; bilden visar läget vid rapporteringstiden.",
        "Late reports are counted as they stand now; the picture shows the situation at the deadline.",
    ),
    "summaries.title": ("Sammanställningar", "Summaries"),
    "summaries.none": ("Ingen sammanställning är publicerad än.", "No summary published yet."),
    "summaries.draft": ("Utkast till sammanställning", "Draft summary"),
    "summaries.open_draft": ("Skriv sammanställning", "Write the summary"),
    "summaries.number": ("Nr", "No."),
    "summaries.summary_n": ("Samlad lägesbild nr {n}", "Summary no. {n}"),
    "summaries.published": ("Publicerad", "Published"),
    "summaries.published_by": ("av", "by"),
    "summaries.publisher": ("Publicerad av", "Published by"),
    "summaries.corrects": ("Rättar nr {n}", "Corrects no. {n}"),
    "summaries.picture_seq": ("Lägesbildens seq", "Picture seq"),
    "summaries.print": ("Utskriftsversion (A4)", "Printable version (A4)"),
    "summaries.edxl": ("EDXL", "EDXL"),
    "summaries.distribution": ("Distribution", "Distribution"),
    "summaries.recipient": ("Mottagare", "Recipient"),
    "summaries.delivery_status": ("Status", "Status"),
    "summaries.attempts": ("Försök", "Attempts"),
    "summaries.delivered_at": ("Levererad", "Delivered"),
    "summaries.last_error": ("Senaste fel", "Last error"),
    "summaries.no_recipients": (
        "Inga mottagare är konfigurerade för länet.",
        "No recipients are configured for the county.",
    ),
    "summaries.recipient.wis": (
        "WIS-nod (områdets sammanställning)",
        "WIS node (the area's summary)",
    ),
    "summaries.recipient.national": ("Nationell nivå (EDXL)", "National level (EDXL)"),
    "summaries.delivery.pending": ("Väntar", "Pending"),
    "summaries.delivery.delivered": ("Levererad", "Delivered"),
    "summaries.delivery.dead": ("Misslyckades", "Failed"),
    "summaries.assessment": ("Samlad bedömning", "Overall assessment"),
    "summaries.sectors": (
        "Påverkan per samhällsviktig verksamhet",
        "Impact per vital societal function",
    ),
    "summaries.sector": ("Verksamhet", "Function"),
    "summaries.level": ("Länets bedömning", "County's assessment"),
    "summaries.picture_level": ("Lägesbildens värsta", "Picture's worst"),
    "summaries.follow_picture": ("Enligt lägesbilden", "As in the picture"),
    "summaries.reason": ("Skäl till ändrad nivå", "Reason for the changed level"),
    "summaries.comment": ("Kommentar", "Comment"),
    "summaries.development": ("Förväntad utveckling", "Expected development"),
    "summaries.trend": ("Trend", "Trend"),
    "summaries.development_text": ("Beskrivning", "Description"),
    "summaries.measures_taken": ("Vidtagna åtgärder", "Measures taken"),
    "summaries.measures_planned": ("Planerade åtgärder", "Measures planned"),
    "summaries.one_per_line": ("En per rad.", "One per line."),
    "summaries.requests": ("Begäran till nationell nivå", "Requests to national level"),
    "summaries.request_id": ("Id", "Id"),
    "summaries.request_text": ("Begäran", "Request"),
    "summaries.urgency": ("Angelägenhet", "Urgency"),
    "summaries.status": ("Status", "Status"),
    "summaries.since": ("Sedan nr", "Since no."),
    "summaries.add_request": ("Lägg till begäran", "Add a request"),
    "summaries.remove_request": ("Ta bort", "Remove"),
    "summaries.other": ("Övrig information", "Other information"),
    "summaries.empty": ("Inget angivet.", "Nothing given."),
    "summaries.list": ("Alla sammanställningar", "All summaries"),
    "summaries.back_to_draft": ("Till utkastet", "To the draft"),
    "summaries.js.saving": ("Sparar …", "Saving …"),
    "summaries.js.saved": ("Sparat", "Saved"),
    "summaries.js.never_saved": ("Inte sparat än", "Not saved yet"),
    "summaries.js.last_edit": ("Senast ändrat {at} av {by}", "Last edited {at} by {by}"),
    "summaries.js.save_failed": ("Kunde inte spara: {error}", "Could not save: {error}"),
    "summaries.js.need_reason": (
        "Skriv skälet till den ändrade nivån för {sector} så sparas utkastet.",
        "Write the reason for the changed level of {sector} and the draft is saved.",
    ),
    "summaries.js.conflict": (
        "{by} ändrade utkastet medan du skrev. Jämför och välj vad som ska gälla.",
        "{by} changed the draft while you were writing. Compare and choose what is to stand.",
    ),
    "summaries.js.theirs": ("Deras version", "Their version"),
    "summaries.js.mine": ("Din version", "Your version"),
    "summaries.js.take_theirs": ("Ta deras", "Take theirs"),
    "summaries.js.keep_mine": ("Behåll min", "Keep mine"),
    "summaries.js.merged_in": (
        "Ändringar från {by} är inlagda: {fields}.",
        "Changes by {by} are merged in: {fields}.",
    ),
    "summaries.js.save_merge": ("Spara sammanslagningen", "Save the merge"),
    "summaries.js.before_publish": ("Före publicering", "Before publishing"),
    "summaries.js.blank": ("Tomma avsnitt: {sections}.", "Blank sections: {sections}."),
    "summaries.js.no_blank": ("Alla avsnitt är ifyllda.", "Every section is filled in."),
    "summaries.js.changed_since": (
        "Ändrat sedan nr {n}: {sections}.",
        "Changed since no. {n}: {sections}.",
    ),
    "summaries.js.unchanged_since": (
        "Inget ändrat sedan nr {n}.",
        "Nothing changed since no. {n}.",
    ),
    "summaries.js.first": (
        "Detta blir den första sammanställningen.",
        "This will be the first summary.",
    ),
    "summaries.js.publish": ("Publicera nr {n}", "Publish no. {n}"),
    "summaries.js.publish_anyway": (
        "Jag vill publicera trots tomma avsnitt",
        "I want to publish despite blank sections",
    ),
    "summaries.js.confirm_blank": (
        "Bekräfta att du vill publicera trots tomma avsnitt.",
        "Confirm that you want to publish despite blank sections.",
    ),
    "summaries.js.corrects": (
        "Rättar tidigare nummer (valfritt)",
        "Corrects an earlier number (optional)",
    ),
    "summaries.js.only_duty_officer": (
        "Bara tjänsteperson i beredskap publicerar.",
        "Only a duty officer publishes.",
    ),
}

# The API's page (/api/docs); the operations' own words are the document's, in English.
API_DOC_TEXTS: Mapping[str, tuple[str, str]] = {
    "apidocs.title": ("API-dokumentation", "API documentation"),
    "apidocs.intro": (
        "Lägesbildens HTTP-API för andra system. Beskrivningarna av operationerna är på engelska; samma dokument maskinläsbart:",
        "Lägesbild's HTTP API for other systems. The same document, machine-readable:",
    ),
    "apidocs.contents": ("Innehåll", "Contents"),
    "apidocs.schemas": ("Scheman", "Schemas"),
    "apidocs.security": ("Inloggning", "Authentication"),
    "apidocs.or": ("eller", "or"),
    "apidocs.open": ("ingen, öppen för alla", "none, open to anyone"),
    "apidocs.parameters": ("Parametrar", "Parameters"),
    "apidocs.name": ("Namn", "Name"),
    "apidocs.in": ("Var", "In"),
    "apidocs.required": ("Krävs", "Required"),
    "apidocs.schema": ("Schema", "Schema"),
    "apidocs.yes": ("ja", "yes"),
    "apidocs.no": ("nej", "no"),
    "apidocs.request": ("Anropets innehåll", "Request body"),
    "apidocs.responses": ("Svar", "Responses"),
    "apidocs.status": ("Status", "Status"),
    "apidocs.meaning": ("Betydelse", "Meaning"),
    "apidocs.content": ("Innehåll", "Content"),
}

TEXTS: Mapping[str, tuple[str, str]] = {
    **PAGE_TEXTS,
    **ADMIN_TEXTS,
    **INVITATION_TEXTS,
    **NATIONAL_TEXTS,
    **READOUT_TEXTS,
    **EVALUATION_TEXTS,
    **API_DOC_TEXTS,
    **LABELS,
}


def lang_of(request: web.Request) -> Lang:
    chosen = request.cookies.get(LANG_COOKIE)
    return "en" if chosen == "en" else "sv"


def translator(lang: Lang) -> Callable[[str], str]:
    index = LANGS.index(lang)

    def translate(key: str) -> str:
        texts = TEXTS.get(key)
        return key if texts is None else texts[index]

    return translate
