"""The call book: calls per UTC hour and entry, quota periods, assumed calls, persistence."""

from datetime import UTC, datetime, timedelta
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.apsystems_ema.planner import CallBook
from custom_components.apsystems_ema.planner.book import (
    KEEP,
    MARGIN,
    month_key,
    month_start,
    next_month,
    period,
)

JULY = datetime(2026, 7, 10, 12, tzinfo=UTC)


def test_record_and_used_per_entry_and_hour() -> None:
    book = CallBook(since=datetime(2026, 7, 1, tzinfo=UTC))
    ten = datetime(2026, 7, 10, 10, 30, tzinfo=UTC)
    book.record(ten, "A", 3)
    book.record(ten + timedelta(minutes=20), "B")  # 10:50, the same hour
    book.record(ten + timedelta(hours=1), "A", 2)  # 11:30
    assert book.hours == {"2026-07-10T10": {"A": 3, "B": 1}, "2026-07-10T11": {"A": 2}}
    start = datetime(2026, 7, 10, 10, tzinfo=UTC)
    assert book.used(start, start + timedelta(minutes=59)) == 4
    assert book.used(start, start + timedelta(minutes=59), "A") == 3
    assert book.used(start, start + timedelta(hours=2)) == 6
    assert book.used(start, start + timedelta(hours=2), "A") == 5
    assert book.used(start, start + timedelta(hours=2), "B") == 1
    assert book.used(start, start + timedelta(hours=2), "C") == 0
    # Whole hours: the hour of ``end`` counts, the hours after it do not.
    assert book.used(start + timedelta(hours=1), start + timedelta(hours=1)) == 2
    assert book.used(start - timedelta(hours=3), start - timedelta(minutes=1)) == 0
    # Other timezones are counted in UTC.
    athens = ten.astimezone(ZoneInfo("Europe/Athens"))
    assert athens.hour == 13
    assert book.used(athens, athens) == 4


def test_naive_instants_are_refused() -> None:
    book = CallBook(since=JULY)
    with pytest.raises(ValueError, match="timezone-aware"):
        book.record(datetime(2026, 7, 10, 12), "A")


def test_old_hours_are_pruned() -> None:
    book = CallBook(since=JULY)
    book.record(JULY, "A", 5)
    book.record(JULY + KEEP - timedelta(hours=1), "A")
    assert book.used(JULY, JULY) == 5  # still kept
    book.record(JULY + KEEP + timedelta(hours=1), "A")
    assert book.used(JULY, JULY) == 0
    assert len(book.hours) == 2
    assert min(book.hours) == (JULY + KEEP - timedelta(hours=1)).strftime("%Y-%m-%dT%H")


def test_period_is_the_utc_month_widened_by_the_margin() -> None:
    assert timedelta(hours=14) == MARGIN
    july = (datetime(2026, 6, 30, 10, tzinfo=UTC), datetime(2026, 8, 1, 14, tzinfo=UTC))
    assert period(JULY) == july
    assert period(datetime(2026, 7, 1, tzinfo=UTC)) == july
    assert period(datetime(2026, 7, 31, 23, 59, tzinfo=UTC)) == july
    # An instant is in the period of its UTC month, whatever its own timezone says.
    tokyo = datetime(2026, 8, 1, 8, tzinfo=ZoneInfo("Asia/Tokyo"))  # 23:00 UTC on 31 July
    assert period(tokyo) == july
    assert period(datetime(2026, 12, 15, tzinfo=UTC)) == (
        datetime(2026, 11, 30, 10, tzinfo=UTC),
        datetime(2027, 1, 1, 14, tzinfo=UTC),
    )
    assert month_start(JULY) == datetime(2026, 7, 1, tzinfo=UTC)
    assert next_month(datetime(2026, 1, 1, tzinfo=UTC)) == datetime(2026, 2, 1, tzinfo=UTC)
    assert month_key(datetime(2026, 7, 31, 23, 59, tzinfo=UTC)) == "2026-07"


def test_a_book_started_mid_period_assumes_an_even_rate_before() -> None:
    start, end = period(JULY)
    since = datetime(2026, 7, 16, tzinfo=UTC)
    book = CallBook(since=since)
    expected = round(1000 * (since - start) / (end - start))
    assert expected == 484  # 374 of the period's 772 hours
    assert book.assumed(1000, JULY) == 484
    assert book.assumed(400, JULY) == round(400 * (since - start) / (end - start))
    # The next period the book saw from its start: nothing assumed.
    assert book.assumed(1000, datetime(2026, 8, 10, tzinfo=UTC)) == 0
    # A book started before the period, or at its very start, assumes nothing.
    assert CallBook(since=start).assumed(1000, JULY) == 0
    assert CallBook(since=start - timedelta(days=40)).assumed(1000, JULY) == 0
    # Started in the next period's margin: the whole earlier period is assumed spent.
    late = CallBook(since=datetime(2026, 8, 1, 16, tzinfo=UTC))
    assert late.assumed(1000, JULY) == 1000


def test_spent_counts_the_period_and_the_assumed_calls() -> None:
    since = datetime(2026, 7, 16, tzinfo=UTC)
    book = CallBook(since=since)
    book.record(datetime(2026, 6, 30, 9, tzinfo=UTC), "A", 50)  # before July's period
    book.record(datetime(2026, 6, 30, 11, tzinfo=UTC), "A", 7)  # June's margin: both
    book.record(datetime(2026, 7, 20, tzinfo=UTC), "A", 10)
    book.record(datetime(2026, 7, 21, tzinfo=UTC), "B", 5)
    at = datetime(2026, 7, 25, tzinfo=UTC)
    assert book.spent(1000, at) == 7 + 10 + 5 + 484
    assert book.spent(1000, at, datetime(2026, 7, 20, 12, tzinfo=UTC)) == 7 + 10 + 484
    # June's period: June 30 11:00 is in it, July 20 is not; the book began after June.
    june = datetime(2026, 6, 15, tzinfo=UTC)
    assert book.spent(1000, june, datetime(2026, 7, 1, 13, tzinfo=UTC)) == 50 + 7 + 1000


def test_share_follows_the_weights() -> None:
    book = CallBook(since=JULY)
    assert book.share("A") == 1.0  # nobody declared a weight: the whole quota
    book.weights = {"A": 2.0, "B": 1.0}
    assert book.share("A") == pytest.approx(2 / 3)
    assert book.share("B") == pytest.approx(1 / 3)
    assert book.share("C") == 1.0  # unknown to the book
    book.weights = {"A": 3.0, "B": 1.0, "C": 4.0}
    assert [book.share(e) for e in "ABC"] == [0.375, 0.125, 0.5]
    book.weights = {"A": 0.0}
    assert book.share("A") == 1.0


def test_exhausted_holds_for_the_utc_month_of_the_2005() -> None:
    book = CallBook(since=JULY)
    assert not book.exhausted(JULY)
    book.exhausted_at = datetime(2026, 7, 31, 23, 30, tzinfo=UTC)
    assert book.exhausted(datetime(2026, 7, 1, tzinfo=UTC))
    assert book.exhausted(datetime(2026, 7, 31, 23, 59, tzinfo=UTC))
    assert not book.exhausted(datetime(2026, 8, 1, tzinfo=UTC))
    assert not book.exhausted(datetime(2026, 6, 30, 23, 59, tzinfo=UTC))
    assert not book.exhausted(datetime(2025, 7, 15, tzinfo=UTC))  # a year earlier


def test_round_trip() -> None:
    book = CallBook(since=datetime(2026, 7, 3, 8, 15, tzinfo=UTC))
    book.record(JULY, "A", 3)
    book.record(JULY + timedelta(hours=2), "B", 2)
    book.exhausted_at = JULY + timedelta(hours=3)
    book.weights = {"A": 2.5, "B": 1.0}
    data = json.loads(json.dumps(book.as_dict()))
    # The weights are kept: a restart does not hand the first entry back the whole quota.
    assert set(data) == {"since", "hours", "exhausted_at", "weights", "excused"}
    again = CallBook.from_dict(data)
    assert again.since == book.since
    assert again.hours == book.hours
    assert again.exhausted_at == book.exhausted_at
    assert again.weights == {"A": 2.5, "B": 1.0}
    with pytest.raises(ValueError, match=r"weights\.A: -1\.0 is out of range"):
        CallBook.from_dict({**data, "weights": {"A": -1.0}})
    with pytest.raises(ValueError, match="is not a count"):
        CallBook.from_dict({**data, "hours": {"2026-07-01T08": {"A": -100000}}})
    with pytest.raises(ValueError, match="is not a count"):
        CallBook.from_dict({**data, "hours": {"2026-07-01T08": {"A": "5"}}})
    assert again.used(JULY, JULY + timedelta(hours=2)) == 5
    fresh = CallBook.from_dict(CallBook(since=JULY).as_dict())
    assert fresh == CallBook(since=JULY)
    assert fresh.exhausted_at is None


@pytest.mark.parametrize(
    "data",
    [
        {"hours": {}},  # no since
        {"since": JULY.isoformat()},  # no hours
        {"since": JULY.isoformat(), "hours": []},
        {"since": JULY.isoformat(), "hours": {"2026-07-10T12": 3}},
        {"since": JULY.isoformat(), "hours": {"2026-07-10T12": {"A": "x"}}},
        {"since": JULY.isoformat(), "hours": {"2026-07-10T12": {"A": -1}}},
        {"since": JULY.isoformat(), "hours": {}, "exhausted_at": "yesterday"},
        {"since": "2026-07-10T12:00:00", "hours": {}},  # naive
        {"since": 12, "hours": {}},
    ],
)
def test_unreadable_data_raises_value_error(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"call book|count|mapping|timezone|isoformat|invalid"):
        CallBook.from_dict(data)
