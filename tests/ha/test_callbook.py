"""One call book per App ID: two systems on one App ID share the quota and its file."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.apsystems_ema.callbook import book_key
from custom_components.apsystems_ema.const import (
    DOMAIN,
)
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.planner.book import period
from tests.ha.helpers import MORNING, advance, config_entry, setup
from tests.simulator import Account, Simulator, build_site, demo_site


@pytest.fixture
async def pair(socket_enabled: None) -> AsyncIterator[tuple[Simulator, Simulator]]:
    """Two systems (a 2-ECU site with a meter, a 1-ECU site) served under one App ID."""
    account = Account()
    big = demo_site(MORNING)
    small = build_site(sid="AZ0000SMALL1", inverters_per_ecu=(3,), meters=0, now=MORNING)
    async with (
        Simulator(big, account=account) as first,
        Simulator(small, account=account) as second,
    ):
        yield first, second


async def test_two_systems_share_one_book(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    pair: tuple[Simulator, Simulator],
) -> None:
    """Both entries count in one book, stored once under a name that does not reveal the
    App ID; each gets a share in proportion to its poll's cost; a removed entry's share goes
    to the other; the book goes with the App ID's last entry."""
    first, second = pair
    freezer.move_to(MORNING)
    entries = [config_entry(first), config_entry(second)]
    one: APsystemsCoordinator = await setup(hass, first, entries[0])
    two: APsystemsCoordinator = await setup(hass, second, entries[1])
    assert one.book is two.book
    book = one.book
    # Poll costs: 2 batch curves + half a meter curve, against 1 batch curve.
    assert book.share(entries[0].entry_id) == pytest.approx(2.5 / 3.5)
    assert book.share(entries[1].entry_id) == pytest.approx(1 / 3.5)
    await advance(hass, freezer, timedelta(hours=6))
    now = dt_util.utcnow()
    start = period(now)[0]
    made = len(first.calls) + len(second.calls)
    assert book.used(start, now) == made
    assert book.used(start, now, entries[0].entry_id) == len(first.calls)
    assert one.calls_used == two.calls_used == made
    # Within its share each plans its own month; together they stay within the quota.
    quotas = [c.planner.quota(book, now) for c in (one, two)]
    assert sum(q.quota for q in quotas) <= 1000
    await hass.async_block_till_done()
    key = f"{DOMAIN}.calls.{book_key(first.app_id)}"
    assert first.app_id not in key
    # The second system goes: its share goes to the first, the book stays.
    assert await hass.config_entries.async_remove(entries[1].entry_id)
    await hass.async_block_till_done()
    assert book.share(entries[0].entry_id) == 1.0
    assert key in hass_storage
    # The last one goes: so does the book.
    assert await hass.config_entries.async_remove(entries[0].entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


@pytest.mark.parametrize(
    ("version", "data"),
    [
        (1, {"since": "yesterday"}),
        (1, {"since": "2026-06-01T00:00:00+00:00", "hours": {"2026-06-01T00": {"x": -100000}}}),
        (9, {"since": "2026-06-01T00:00:00+00:00", "hours": {}}),
    ],
    ids=["damaged", "negative_count", "newer_version"],
)
async def test_an_unreadable_book_counts_afresh_and_stale_shares_go(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    pair: tuple[Simulator, Simulator],
    caplog: pytest.LogCaptureFixture,
    version: int,
    data: dict[str, Any],
) -> None:
    """A damaged book file (or one with a negative count, which would inflate the budget, or
    of a newer version) is reported once and replaced (the month so far counted as spent at
    an even rate, never as unspent); a share left by an entry deleted meanwhile is dropped
    at set-up."""
    first, _ = pair
    freezer.move_to(MORNING)
    key = f"{DOMAIN}.calls.{book_key(first.app_id)}"
    hass_storage[key] = {"version": version, "key": key, "data": data}
    entry = config_entry(first)
    coordinator: APsystemsCoordinator = await setup(hass, first, entry)
    assert "Ignoring an unreadable call book" in caplog.text
    assert coordinator.book.since == MORNING
    assert coordinator.calls_remaining < 1000 - len(first.calls)  # the even-rate assumption
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[key]["data"]
    assert stored["weights"] == {entry.entry_id: 2.5}
    stored["weights"]["01GONEENTRY000000000000000"] = 7.0  # deleted while Home Assistant was off
    coordinator = await setup(hass, first, entry)
    assert coordinator.book.weights == {entry.entry_id: 2.5}
    assert coordinator.book.share(entry.entry_id) == 1.0
