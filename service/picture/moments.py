"""Which seq a moment is in an incident's log, answered from memory (pure).

The picture at a moment is the fold up to the last seq whose events are all stamped at
or before it: the seq just before the first event stamped after it. A round's closing
is stamped with its deadline, a moment before it is written, so the log's times are not
quite in seq order, and "the first event stamped after" is not simply the next one in
time. But the latest time stamped up to each seq (its *reach*) never goes down, so the
first seq whose reach is after the moment is the first event stamped after it, and a
bisection over the reaches finds it: no scan of the log's times per question.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    """Whole microseconds since 1970 (the database's precision): exact, unlike a float."""
    return (moment - _EPOCH) // _MICROSECOND


class Moments:
    """The reach of every seq of one incident's log, extended as the log grows."""

    def __init__(self) -> None:
        self._reach = array("q")  # index i: the latest time stamped in seqs 1 … i + 1
        self.last_seq = 0

    def extend(self, stamped: Iterable[tuple[int, datetime]]) -> None:
        """Add `(seq, at)` of the events after `last_seq`, in seq order. Seqs already
        known are skipped (two askers may read the same new events); a gap would make
        every answer after it wrong, so it is refused."""
        reach = self._reach[-1] if self._reach else None
        for seq, at in stamped:
            if seq <= self.last_seq:
                continue
            if seq != self.last_seq + 1:
                raise ValueError(f"seq {seq} follows {self.last_seq}: the log has no gaps")
            micros = _micros(at)
            reach = micros if reach is None or micros > reach else reach
            self._reach.append(reach)
            self.last_seq = seq

    def seq_at(self, moment: datetime) -> int:
        """The last seq whose events are all stamped at or before `moment` (0 when the
        first event is after it): the seq before the first whose reach passes it."""
        return bisect_right(self._reach, _micros(moment))
