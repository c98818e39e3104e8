"""EDXL-DE 2.0 envelopes carrying EDXL-SitRep 1.0 messages: building and reading XML.

Pure functions, no I/O. `docs/exchange.md` has the field mapping as tables. The
SitRep payload follows Lägesbild's profile (`sitrep-profile.xsd` beside this
module), because the official SitRep schema is not available to the project.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree
from pydantic import ValidationError

from adapters import xml_safety
from adapters.refusals import CodecError
from schemas.common import worst_impact
from schemas.incident import Incident
from schemas.report import ReportSubmission, StoredReport
from schemas.summary import PublishedSummary, SummaryIncident
from service.domain.labels import EXERCISE_MARK

DE = "urn:oasis:names:tc:emergency:EDXL:DE:2.0"
SR = "urn:oasis:names:tc:emergency:EDXL:SitRep:1.0"
CT = "urn:oasis:names:tc:emergency:edxl:ct:1.0"
XLINK = "http://www.w3.org/1999/xlink"
KEYWORD_LIST = "urn:lagesbild:edxl:content"
# What the message is, in contentKeyword: a report or the consolidated picture.
KEYWORD_REPORT = "lagesrapport"
KEYWORD_PICTURE = "samlad-lagesbild"
# A county board's published summary (sammanställning).
KEYWORD_SUMMARY = "sammanstallning"
ENVELOPE_LIFETIME = timedelta(hours=24)
# lxml takes None for the default namespace; its stubs only know str keys.
_DE_NSMAP: Any = {None: DE, "ct": CT, "xlink": XLINK}
_SR_NSMAP: Any = {None: SR}

_SEVERITY = {
    "critical": "Extreme",
    "serious": "Severe",
    "significant": "Moderate",
    "moderate": "Minor",
    "none": "Minor",
}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def de_time(value: datetime) -> str:
    """EDXL-DE's dateTime: seconds, and an offset (the schema refuses `Z` and fractions)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def sr_time(value: datetime) -> str:
    """Times inside the SitRep profile keep microseconds, so a round trip is lossless."""
    return value.astimezone(UTC).isoformat()


# Characters XML 1.0 cannot carry (C0 controls but tab, LF and CR; U+FFFE, U+FFFF; surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry (the only loss in an export)."""
    return _NOT_XML.sub("", value)


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _q(ns, name))
    if text is not None:
        child.text = xml_text(text)
    return child


def _s(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    return _sub(parent, SR, name, text)


# --- building --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Content:
    """One contentObject: a description and its sitRep element."""

    description: str
    keyword: str
    sitrep: etree._Element


def envelope(
    *,
    distribution_id: str,
    sender: str,
    sent: datetime,
    exercise: bool,
    kind: str,
    incident: Incident | SummaryIncident,
    contents: Iterable[Content],
) -> bytes:
    """An EDXL-DE 2.0 `edxlDistribution`; `distributionStatus` is Exercise for exercises."""
    root = etree.Element(_q(DE, "edxlDistribution"), nsmap=_DE_NSMAP)
    root.set(_q(XLINK, "type"), "extended")
    _sub(root, DE, "distributionID", distribution_id)
    _sub(root, DE, "senderID", sender)
    _sub(root, DE, "dateTimeSent", de_time(sent))
    _sub(root, DE, "dateTimeExpires", de_time(sent + ENVELOPE_LIFETIME))
    # An exercise is never sent as Actual.
    _sub(root, DE, "distributionStatus", "Exercise" if exercise else "Actual")
    _sub(root, DE, "distributionKind", kind)
    descriptor = _sub(root, DE, "descriptor")
    descriptor.set(_q(XLINK, "type"), "resource")
    _sub(descriptor, DE, "language", "sv-SE")
    _sub(descriptor, DE, "incidentID", str(incident.id))
    _sub(descriptor, DE, "incidentDescription", _marked(incident.exercise, incident.title))
    content = _sub(root, DE, "content")
    content.set(_q(XLINK, "type"), "resource")
    for item in contents:
        obj = _sub(content, DE, "contentObject")
        obj.set(_q(XLINK, "type"), "resource")
        described = _sub(obj, DE, "contentDescriptor")
        _sub(described, DE, "contentDescription", item.description)
        keyword = _sub(described, DE, "contentKeyword")
        _sub(keyword, CT, "ValueListURI", KEYWORD_LIST)
        _sub(keyword, CT, "Value", item.keyword)
        xml = _sub(obj, DE, "contentXML")
        _sub(xml, DE, "embeddedXMLContent").append(item.sitrep)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _marked(exercise: bool, text: str) -> str:
    return f"{EXERCISE_MARK}: {text}" if exercise else text


def _person(
    parent: etree._Element, name: str, *, who: str, org: str, org_name: str, at: datetime
) -> None:
    pair = _s(parent, name)
    details = _s(pair, "personDetails")
    _s(details, "personName", who)
    _s(details, "organisationName", org_name)
    _s(details, "organisationID", org)
    _s(pair, "timeValue", sr_time(at))


def _urgency(report: StoredReport) -> str:
    open_needs = [need for need in report.needs if need.status == "open"]
    if any(need.urgency in ("high", "critical") for need in open_needs):
        return "Immediate"
    return "Expected" if open_needs else "Unknown"


def report_sitrep(
    incident: Incident,
    report: StoredReport,
    *,
    organisation_name: str,
    originating: uuid.UUID | None,
    final: bool,
) -> etree._Element:
    """A stored report as a `sitRep` with a SituationInformation body."""
    root = etree.Element(_q(SR, "sitRep"), nsmap=_SR_NSMAP)
    _s(root, "messageID", str(report.report_id))
    _person(
        root,
        "preparedBy",
        who=report.submitted_by,
        org=report.organisation,
        org_name=organisation_name,
        at=report.received_at,
    )
    _person(
        root,
        "authorizedBy",
        who=report.submitted_by,
        org=report.organisation,
        org_name=organisation_name,
        at=report.received_at,
    )
    _s(root, "reportPurpose", _marked(incident.exercise, "Lägesrapport till samlad lägesbild"))
    _s(root, "reportNumber", str(report.version))
    version = "Final" if final else ("Initial" if report.version == 1 else "Update")
    _s(root, "reportVersion", version)
    period = _s(root, "forTimePeriod")
    _s(period, "fromDateTime", sr_time(report.as_of))
    _s(period, "toDateTime", sr_time(report.due_at or report.as_of))
    _s(root, "reportTitle", _marked(incident.exercise, f"{organisation_name}: {incident.title}"))
    _s(root, "incidentID", str(incident.id))
    _s(root, "incidentLifecyclePhase", "Response" if incident.status == "active" else "Recovery")
    if report.supersedes is not None:
        _s(root, "originatingMessageID", str(originating or report.supersedes))
        _s(root, "precedingMessageID", str(report.supersedes))
    _s(root, "urgency", _urgency(report))
    _s(root, "reportConfidence", "HighlyConfident")
    _s(root, "severity", _SEVERITY.get(worst_impact(e.status for e in report.sectors), "Unknown"))
    if report.measures_planned:
        _s(root, "actionPlan", "\n".join(report.measures_planned))
    if report.next_report_at is not None:
        _s(root, "nextContact", sr_time(report.next_report_at))
    body = _s(_s(root, "report"), "SituationInformation")
    _s(body, "asOf", sr_time(report.as_of))
    _s(body, "situationSummary", report.situation)
    _s(body, "developmentTrend", report.development.trend)
    _s(body, "developmentText", report.development.text)
    for entry in report.sectors:
        sector = _s(body, "sectorImpact")
        _s(sector, "sector", entry.sector)
        _s(sector, "impact", entry.status)
        _s(sector, "text", entry.text)
    for measure in report.measures_taken:
        _s(body, "measureTaken", measure)
    for measure in report.measures_planned:
        _s(body, "measurePlanned", measure)
    for need in report.needs:
        element = _s(body, "need")
        _s(element, "needID", need.need_id)
        _s(element, "text", need.text)
        _s(element, "urgency", need.urgency)
        _s(element, "status", need.status)
    if report.management is not None:
        management = _s(body, "management")
        _s(management, "level", report.management.level)
        _s(management, "text", report.management.text)
    _s(body, "publicInformation", report.public_information)
    if report.contact is not None:
        contact = _s(body, "contact")
        _s(contact, "name", report.contact.name)
        _s(contact, "phone", report.contact.phone)
        _s(contact, "email", report.contact.email)
    return root


def picture_sitrep(
    incident: Incident, picture: Mapping[str, Any], *, owner_name: str, at: datetime
) -> etree._Element:
    """The consolidated picture as a `sitRep` with a ManagementReportingSummary body."""
    seq = int(picture.get("seq", 0))
    root = etree.Element(_q(SR, "sitRep"), nsmap=_SR_NSMAP)
    _s(root, "messageID", f"{incident.id}:picture:{seq}")
    _person(root, "preparedBy", who="Lägesbild", org=incident.owner, org_name=owner_name, at=at)
    _person(root, "authorizedBy", who="Lägesbild", org=incident.owner, org_name=owner_name, at=at)
    _s(root, "reportPurpose", _marked(incident.exercise, "Samlad lägesbild"))
    _s(root, "reportNumber", str(max(seq, 1)))
    _s(
        root,
        "reportVersion",
        "Final" if incident.status == "closed" else ("Initial" if seq <= 1 else "Update"),
    )
    period = _s(root, "forTimePeriod")
    _s(period, "fromDateTime", sr_time(incident.activated_at))
    _s(period, "toDateTime", sr_time(incident.closed_at or at))
    _s(root, "reportTitle", _marked(incident.exercise, f"Samlad lägesbild: {incident.title}"))
    _s(root, "incidentID", str(incident.id))
    _s(root, "incidentLifecyclePhase", "Response" if incident.status == "active" else "Recovery")
    _s(root, "urgency", "Unknown")
    _s(root, "reportConfidence", "SomewhatConfident")
    sectors: Mapping[str, Any] = picture.get("sectors", {})
    top = worst_impact(str(counts.get("worst", "unknown")) for counts in sectors.values())
    _s(root, "severity", _SEVERITY.get(top, "Unknown"))
    if incident.due_at is not None:
        _s(root, "nextContact", sr_time(incident.due_at))
    body = _s(_s(root, "report"), "ManagementReportingSummary")
    _s(body, "asOf", sr_time(at))
    _s(body, "pictureSeq", str(seq))
    _s(body, "incidentStatus", incident.status)
    reporting: Mapping[str, Any] = picture.get("reporting", {})
    if reporting.get("due_at"):
        _s(body, "reportingDue", sr_time(datetime.fromisoformat(str(reporting["due_at"]))))
    _s(body, "expectedReports", str(int(reporting.get("expected", 0))))
    _s(body, "receivedReports", str(int(reporting.get("received", 0))))
    for sector, counts in sectors.items():
        element = _s(body, "sectorSummary")
        _s(element, "sector", sector)
        _s(element, "worst", str(counts.get("worst", "unknown")))
    organisations: Mapping[str, Any] = picture.get("organisations", {})
    for code, org in sorted(organisations.items()):
        element = _s(body, "organisationStatus")
        _s(element, "organisationID", code)
        _s(element, "organisationName", str(org.get("name", code)))
        _s(element, "impact", str(org.get("impact", "unknown")))
        _s(element, "trend", str(org.get("trend", "unknown")))
        _s(element, "openNeeds", str(int(org.get("open_needs", 0))))
    needs: Mapping[str, Any] = picture.get("needs", {})
    for key, need in sorted(needs.items()):
        code, _, need_id = key.partition("/")
        element = _s(body, "openNeed")
        _s(element, "organisationID", code)
        _s(element, "needID", need_id)
        _s(element, "text", str(need.get("text", "")))
        _s(element, "urgency", str(need.get("urgency", "")))
    return root


def summary_message_id(summary: PublishedSummary, number: int | None = None) -> str:
    return f"{summary.incident.id}:summary:{number or summary.number}"


def _summary_urgency(summary: PublishedSummary) -> str:
    open_levels = {r.urgency for r in summary.requests if r.status == "open"}
    if "critical" in open_levels:
        return "Immediate"
    return "Expected" if "high" in open_levels else "Unknown"


def summary_sitrep(summary: PublishedSummary) -> etree._Element:
    """A county board's published summary as a `sitRep` whose ManagementReportingSummary
    carries the county's assessment (Lägesbild's profile, docs/exchange.md)."""
    incident = summary.incident
    at = summary.published_at
    root = etree.Element(_q(SR, "sitRep"), nsmap=_SR_NSMAP)
    _s(root, "messageID", summary_message_id(summary))
    for role in ("preparedBy", "authorizedBy"):
        _person(
            root,
            role,
            who=summary.published_by,
            org=incident.owner,
            org_name=incident.owner_name,
            at=at,
        )
    _s(root, "reportPurpose", _marked(incident.exercise, "Samlad lägesbild (sammanställning)"))
    _s(root, "reportNumber", str(summary.number))
    _s(root, "reportVersion", "Initial" if summary.number == 1 else "Update")
    period = _s(root, "forTimePeriod")
    _s(period, "fromDateTime", sr_time(incident.activated_at))
    _s(period, "toDateTime", sr_time(at))
    _s(
        root,
        "reportTitle",
        _marked(incident.exercise, f"Samlad lägesbild nr {summary.number}: {incident.title}"),
    )
    _s(root, "incidentID", str(incident.id))
    _s(root, "incidentLifecyclePhase", "Response")
    if summary.number > 1:
        _s(root, "originatingMessageID", summary_message_id(summary, 1))
        _s(
            root,
            "precedingMessageID",
            summary_message_id(summary, summary.corrects or summary.number - 1),
        )
    _s(root, "urgency", _summary_urgency(summary))
    _s(root, "reportConfidence", "SomewhatConfident")
    top = worst_impact(sector.level for sector in summary.sectors)
    _s(root, "severity", _SEVERITY.get(top, "Unknown"))
    if summary.measures_planned:
        _s(root, "actionPlan", "\n".join(summary.measures_planned))
    body = _s(_s(root, "report"), "ManagementReportingSummary")
    _s(body, "asOf", sr_time(at))
    _s(body, "pictureSeq", str(summary.picture_seq))
    _s(body, "incidentStatus", "active")
    _s(body, "expectedReports", str(summary.reporting.expected))
    _s(body, "receivedReports", str(summary.reporting.received))
    for sector in summary.sectors:
        element = _s(body, "sectorSummary")
        _s(element, "sector", sector.sector)
        _s(element, "worst", sector.picture_level)
    _s(body, "summaryNumber", str(summary.number))
    if summary.corrects is not None:
        _s(body, "correctsNumber", str(summary.corrects))
    _s(body, "publishedBy", summary.published_by)
    _s(body, "overallAssessment", summary.assessment)
    for sector in summary.sectors:
        element = _s(body, "countySector")
        _s(element, "sector", sector.sector)
        _s(element, "level", sector.level)
        _s(element, "pictureLevel", sector.picture_level)
        _s(element, "overridden", "true" if sector.overridden else "false")
        _s(element, "reason", sector.reason)
        _s(element, "comment", sector.comment)
    _s(body, "developmentTrend", summary.development.trend)
    _s(body, "developmentText", summary.development.text)
    for measure in summary.measures_taken:
        _s(body, "measureTaken", measure)
    for measure in summary.measures_planned:
        _s(body, "measurePlanned", measure)
    for request in summary.requests:
        element = _s(body, "nationalRequest")
        _s(element, "requestID", request.id)
        _s(element, "text", request.text)
        _s(element, "urgency", request.urgency)
        _s(element, "status", request.status)
        if request.since is not None:
            _s(element, "sinceNumber", str(request.since))
    _s(body, "otherInformation", summary.other)
    return root


# --- reading ---------------------------------------------------------------------------------


def sitrep_schema() -> etree.XMLSchema:
    """Lägesbild's SitRep profile (a local file of the package; nothing is fetched), made
    once per process. Envelopes parsed in threads at once (`LAGESBILD_CPU_WORKERS` 0)
    ask for it together on first use: libxml2 fails a schema made in two threads at
    the same time ("Document is not valid XML Schema"), so one thread makes it."""
    with _SCHEMA_LOCK:
        return _sitrep_schema()


_SCHEMA_LOCK = threading.Lock()


@cache
def _sitrep_schema() -> etree.XMLSchema:
    text = resources.files("adapters.edxl").joinpath("sitrep-profile.xsd").read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(text, parser=parser))


@dataclass(frozen=True, slots=True)
class ImportedReport:
    """A SitRep SituationInformation read from an envelope, ready for the domain."""

    message_id: str
    organisation: str
    incident_id: uuid.UUID
    submission: ReportSubmission


@dataclass(frozen=True, slots=True)
class Skipped:
    """A content object of an envelope that does not become a report, and why."""

    index: int
    keyword: str
    description: str
    reason: str


@dataclass(frozen=True, slots=True)
class Envelope:
    distribution_id: str
    sender: str
    exercise: bool
    reports: list[ImportedReport]
    skipped: list[Skipped]


# Report ids of imported messages: stable per sender and message id, so a repeat is a repeat.
IMPORT_NAMESPACE = uuid.UUID("6f1c1b8e-5a43-4d0e-9a53-2c1f0e7d4b61")


def import_report_id(sender: str, message_id: str) -> uuid.UUID:
    return uuid.uuid5(IMPORT_NAMESPACE, f"edxl\x1f{sender}\x1f{message_id}")


def _fail(path: str, message: str) -> CodecError:
    return CodecError("the EDXL envelope is not valid", [(tuple(path.split(".")), message)])


def _text(
    parent: etree._Element, ns: str, name: str, path: str, *, required: bool = True
) -> str | None:
    child = parent.find(_q(ns, name))
    if child is None:
        if required:
            raise _fail(path, f"{name} is missing")
        return None
    return child.text or ""


def peek_sender(data: bytes) -> str | None:
    """The envelope's senderID, read from its first elements only (EDXL-DE puts it
    near the top), so that a sender who may not send is refused before the body is
    parsed; None when it is not found there (the full read decides)."""
    sender = xml_safety.first_text(data, _q(DE, "senderID"))
    return None if sender is None else sender.strip() or None


def read_envelope(root: etree._Element) -> Envelope:
    """The reports in an EDXL-DE 2.0 envelope; 422 naming what is wrong otherwise."""
    if root.tag != _q(DE, "edxlDistribution"):
        raise _fail("edxlDistribution", f"the root element must be {{{DE}}}edxlDistribution")
    distribution_id = _text(root, DE, "distributionID", "distributionID") or ""
    sender = (_text(root, DE, "senderID", "senderID") or "").strip()
    if not sender:
        raise _fail("senderID", "senderID is empty")
    status = (_text(root, DE, "distributionStatus", "distributionStatus") or "").strip()
    if status not in ("Actual", "Exercise"):
        raise _fail("distributionStatus", "only Actual and Exercise messages are imported")
    reports: list[ImportedReport] = []
    skipped: list[Skipped] = []
    objects = root.iterfind(f"{_q(DE, 'content')}/{_q(DE, 'contentObject')}")
    for index, obj in enumerate(objects):
        path = f"content.{index}.sitRep"
        sitrep = obj.find(
            f"{_q(DE, 'contentXML')}/{_q(DE, 'embeddedXMLContent')}/{_q(SR, 'sitRep')}"
        )
        body = (
            None
            if sitrep is None
            else sitrep.find(f"{_q(SR, 'report')}/{_q(SR, 'SituationInformation')}")
        )
        if sitrep is None or body is None:
            skipped.append(_skipped(obj, index, sitrep))
            continue
        schema = sitrep_schema()
        if not schema.validate(sitrep):
            reason = str(schema.error_log).strip().splitlines()[-1:] or ["invalid"]
            raise _fail(path, f"not a valid SitRep: {reason[0][-300:]}")
        reports.append(_read_sitrep(sitrep, body, sender, path))
    if not reports and not skipped:
        raise _fail("content", "the envelope carries no content objects")
    return Envelope(distribution_id, sender, status == "Exercise", reports, skipped)


def _skipped(obj: etree._Element, index: int, sitrep: etree._Element | None) -> Skipped:
    """What a content object that is not a situation report is, and why it stays out.

    The sender's consolidated picture and a county board's published summaries are
    ManagementReportingSummary SitReps: this installation folds its own picture, and a
    summary is the county board's product, not a report, so neither becomes one.
    """
    described = obj.find(_q(DE, "contentDescriptor"))
    keyword = (
        ""
        if described is None
        else described.findtext(f"{_q(DE, 'contentKeyword')}/{_q(CT, 'Value')}") or ""
    )
    description = (
        "" if described is None else described.findtext(_q(DE, "contentDescription")) or ""
    )
    if sitrep is None:
        reason = "not an EDXL-SitRep: only SitRep situation reports are imported"
    elif sitrep.find(f"{_q(SR, 'report')}/{_q(SR, 'ManagementReportingSummary')}") is not None:
        reason = (
            "a ManagementReportingSummary (a consolidated picture or a county board's summary) "
            "is not imported: only SituationInformation reports become reports"
        )
    else:
        reason = "a SitRep without a SituationInformation body is not imported"
    return Skipped(index, keyword.strip(), description.strip(), reason)


def _read_sitrep(
    sitrep: etree._Element, body: etree._Element, sender: str, path: str
) -> ImportedReport:
    message_id = (_text(sitrep, SR, "messageID", path) or "").strip()
    organisation = (
        sitrep.findtext(
            f"{_q(SR, 'preparedBy')}/{_q(SR, 'personDetails')}/{_q(SR, 'organisationID')}"
        )
        or ""
    ).strip()
    if not organisation:
        raise _fail(f"{path}.preparedBy", "the report's organisationID is empty")
    try:
        incident_id = uuid.UUID((_text(sitrep, SR, "incidentID", path) or "").strip())
    except ValueError as exc:
        raise _fail(f"{path}.incidentID", "incidentID must be a Lägesbild incident id") from exc

    def text(element: etree._Element, name: str) -> str:
        return element.findtext(_q(SR, name)) or ""

    data: dict[str, Any] = {
        "report_id": str(import_report_id(sender, message_id)),
        "organisation": organisation,
        "as_of": text(body, "asOf"),
        "situation": text(body, "situationSummary"),
        "development": {
            "trend": text(body, "developmentTrend"),
            "text": text(body, "developmentText"),
        },
        "sectors": [
            {"sector": text(e, "sector"), "status": text(e, "impact"), "text": text(e, "text")}
            for e in body.iterfind(_q(SR, "sectorImpact"))
        ],
        "measures_taken": [e.text or "" for e in body.iterfind(_q(SR, "measureTaken"))],
        "measures_planned": [e.text or "" for e in body.iterfind(_q(SR, "measurePlanned"))],
        "needs": [
            {
                "need_id": text(e, "needID"),
                "text": text(e, "text"),
                "urgency": text(e, "urgency"),
                "status": text(e, "status"),
            }
            for e in body.iterfind(_q(SR, "need"))
        ],
        "public_information": text(body, "publicInformation"),
    }
    management = body.find(_q(SR, "management"))
    if management is not None:
        data["management"] = {"level": text(management, "level"), "text": text(management, "text")}
    contact = body.find(_q(SR, "contact"))
    if contact is not None:
        data["contact"] = {
            "name": text(contact, "name"),
            "phone": text(contact, "phone"),
            "email": text(contact, "email"),
        }
    next_contact = sitrep.findtext(_q(SR, "nextContact"))
    if next_contact:
        data["next_report_at"] = next_contact
    try:
        submission = ReportSubmission.model_validate(data)
    except ValidationError as exc:
        raise CodecError(
            "the SitRep does not make a valid report",
            [
                ((*path.split("."), *map(str, e["loc"])), e["msg"])
                for e in exc.errors(include_url=False)
            ],
        ) from exc
    return ImportedReport(message_id, organisation, incident_id, submission)
