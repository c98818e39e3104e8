"""Refusals of the pure exchange code (safe XML, codecs) as the problems a client sees.

`xml_safety` and the codecs know nothing of HTTP; the adapters' operations call
`problem_of` where a refusal leaves them, and the service's one error middleware
renders the result as problem+json (the CLI prints it).
"""

from __future__ import annotations

from adapters.refusals import CodecError
from adapters.xml_safety import XmlMalformed, XmlRejected, XmlTooLarge
from service.errors import MalformedRequest, PayloadTooLarge, ProblemError, ValidationFailed


class UnsafeXml(MalformedRequest):
    default_slug = "unsafe-xml"
    title = "The XML document was refused"


def problem_of(exc: XmlRejected | CodecError) -> ProblemError:
    if isinstance(exc, CodecError):
        return ValidationFailed(exc.detail, errors=exc.errors)
    if isinstance(exc, XmlTooLarge):
        return PayloadTooLarge(str(exc))
    if isinstance(exc, XmlMalformed):
        return MalformedRequest(str(exc))
    return UnsafeXml(str(exc))
