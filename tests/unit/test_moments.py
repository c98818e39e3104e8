"""Which seq a moment is: the in-memory index answers what the log's definition says
(the seq before the first event stamped after the moment), times out of order too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.picture.moments import Moments

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def by_definition(stamps: list[datetime], moment: datetime) -> int:
    """The log's own definition, as `checkpoints.seq_at` asks the database."""
    after = [seq for seq, at in enumerate(stamps, start=1) if at > moment]
    return min(after) - 1 if after else len(stamps)


offsets = st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=60)


@given(offsets=offsets, asked=st.lists(st.integers(min_value=-5, max_value=610), max_size=20))
def test_the_index_gives_the_seq_of_the_logs_definition_for_any_moment(
    offsets: list[int], asked: list[int]
) -> None:
    # Offsets in any order: a closed round is stamped with its deadline, before the
    # events written just ahead of it.
    stamps = [T0 + timedelta(seconds=offset) for offset in offsets]
    index = Moments()
    index.extend(enumerate(stamps, start=1))
    for second in [*asked, *offsets]:
        for moment in (
            T0 + timedelta(seconds=second),
            T0 + timedelta(seconds=second, microseconds=-1),
        ):
            assert index.seq_at(moment) == by_definition(stamps, moment)


def test_a_round_stamped_with_its_deadline_keeps_the_later_report_out() -> None:
    index = Moments()
    index.extend(
        [
            (1, T0),  # activation
            (2, T0 + timedelta(minutes=62)),  # a late report, received after the deadline
            (3, T0 + timedelta(minutes=60)),  # the round closes, stamped with the deadline
        ]
    )
    assert index.seq_at(T0 + timedelta(minutes=61)) == 1
    assert index.seq_at(T0 + timedelta(minutes=62)) == 3
    assert index.seq_at(T0 - timedelta(microseconds=1)) == 0


def test_extending_twice_with_the_same_events_keeps_them_once_and_a_gap_is_refused() -> None:
    index = Moments()
    index.extend([(1, T0), (2, T0 + timedelta(seconds=1))])
    index.extend([(2, T0 + timedelta(seconds=1)), (3, T0 + timedelta(seconds=2))])
    assert index.last_seq == 3
    assert index.seq_at(T0 + timedelta(seconds=1)) == 2
    with pytest.raises(ValueError, match="no gaps"):
        index.extend([(5, T0 + timedelta(seconds=3))])
