"""What pure exchange code raises when a foreign document does not make what it should.

Codecs (EDXL today, any later format) know nothing of HTTP: they raise `CodecError`,
and `adapters/problems.py` turns it into the problem a client sees. Safe XML parsing has
its own refusals (`adapters/xml_safety.XmlRejected`).
"""

from __future__ import annotations


class CodecError(ValueError):
    """`errors` name where (a path of element or field names) and why."""

    def __init__(self, detail: str, errors: list[tuple[tuple[str, ...], str]]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors

    def __reduce__(self) -> tuple[type[CodecError], tuple[str, list[tuple[tuple[str, ...], str]]]]:
        # Raised in a worker process (service/offload.py) and re-raised here: keep `errors`.
        return (type(self), (self.detail, self.errors))
