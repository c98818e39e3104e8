"""The audit log: one append-only row per security event (who, for which organisation,
from where, in which request, when, what). The kinds are `kinds.py`; recording one is
`record.record(conn, kind, origin, at=…, **details)`; the HTTP side (who and where a
request comes from) is `service/http/audit.py`."""
