"""The coordinator, sensors and buttons against the simulator, with a frozen clock that moves."""

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema import async_remove_config_entry_device
from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.diagnostics import async_get_config_entry_diagnostics
from custom_components.apsystems_ema.state import zone_of
from custom_components.apsystems_ema.statistics import PRODUCTION
from tests.ha.drive import hourly_rows

# Re-exported: other test modules import these helpers from here too.
from tests.ha.helpers import (
    MORNING as MORNING,
    advance as advance,
    config_entry,
    setup as setup,
    state_of as state_of,
)
from tests.simulator import Fault, Inverter, Simulator, demo_site
from tests.simulator.site import noon_place
from tests.simulator.solar import Truth
from tests.simulator.storage import StorageTruth

# What a first set-up asks, in order (the simulator's site has two producing ECUs).
SETUP_CALLS = [
    "details",
    "inverters",
    "meters",
    "system_summary",
    "ecu_summary",
    "ecu_summary",
    "meter_summary",  # the meter's lifetimes, also at night
    *["inverter_summary"] * 6,  # every inverter's lifetime (up to 8 at set-up)
    "system_energy",  # yesterday's hours: the production statistic exists at once
]


async def test_first_setup_in_daylight(
    hass: HomeAssistant,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    """Bootstrap and the first poll of the day give every entity a value; lifetime is exact."""
    sid = simulator.sid
    endpoints = [c.endpoint for c in simulator.calls]
    assert endpoints[: len(SETUP_CALLS)] == SETUP_CALLS
    assert endpoints.count("ecu_minutely") == 0  # the batch curves carry every ECU's energy
    assert endpoints.count("batch_power") == 2
    assert endpoints.count("system_summary") == 1  # the first poll needs no other

    truth: Truth = simulator.truth
    lifetime = float(state_of(hass, f"{sid}_lifetime_energy"))
    assert lifetime == pytest.approx(truth.lifetime(MORNING), abs=0.1)
    assert float(state_of(hass, f"{sid}_today_energy")) == pytest.approx(
        truth.day_energy(MORNING.date(), MORNING), abs=0.1
    )
    assert float(state_of(hass, f"{sid}_power")) > 100
    assert int(state_of(hass, f"{sid}_api_calls_used")) == simulator.calls_this_month()
    # The month before the integration began is taken as spent at an even rate.
    remaining = 1000 - len(simulator.calls) - coordinator.book.assumed(1000, MORNING)
    assert int(state_of(hass, f"{sid}_api_calls_remaining")) == remaining
    assert state_of(hass, f"{sid}_next_poll") != "unknown"
    # Per channel, 2 and 4 channels, for every inverter.
    for ecu in simulator.site.ecus:
        assert float(state_of(hass, f"{sid}_ecu_{ecu.eid}_power")) > 0
        assert float(state_of(hass, f"{sid}_ecu_{ecu.eid}_lifetime_energy")) == pytest.approx(
            truth.lifetime(MORNING, eid=ecu.eid), abs=0.1
        )
        for inv in ecu.inverters:
            channels = range(1, inv.channels + 1)
            assert [float(state_of(hass, f"{sid}_{inv.uid}_ch{n}_power")) for n in channels]
    meter = simulator.site.meters[0]
    assert state_of(hass, f"{sid}_meter_{meter}_imported_lifetime") != "unknown"
    assert coordinator.calls_used == len(simulator.calls)


@pytest.mark.usefixtures("coordinator")
async def test_restart_with_fresh_data_costs_no_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Unload and set up again a minute later: state comes from the store, not the API."""
    sid = simulator.sid
    before = (len(simulator.calls), state_of(hass, f"{sid}_lifetime_energy"))
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=1))
    await setup(hass, simulator, mock_config_entry)
    assert (len(simulator.calls), state_of(hass, f"{sid}_lifetime_energy")) == before


async def test_a_whole_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A day from before sunrise to the next night: budget kept, lifetime never decreases,
    no call at night but the closing, and the day ends on the simulator's exact figures."""
    caplog.set_level(logging.DEBUG)
    start = datetime.fromisoformat("2026-06-17T01:00:00+00:00")  # 03:00 in Amsterdam
    freezer.move_to(start)
    coordinator = await setup(hass, simulator, mock_config_entry)
    sid = simulator.sid
    lifetimes: list[float] = []
    for _ in range(24 * 12):
        await advance(hass, freezer, timedelta(minutes=5))
        value = state_of(hass, f"{sid}_lifetime_energy")
        if value not in ("unknown", "unavailable"):
            lifetimes.append(float(value))
    assert lifetimes == sorted(lifetimes)
    day_calls = [c for c in simulator.calls if c.at >= start]
    # Set up mid-month with the month's budget unspent: it is spread over the days left
    # (14, from the 17th of June), not more.
    assert 1000 / 30 <= len(day_calls) <= 1000 / 14 * 1.1
    window = coordinator.planner.daylight.window(MORNING.date())
    assert window is not None
    night = [c for c in day_calls if c.at > window.end + timedelta(hours=4)]
    assert night == []
    closing = [c.endpoint for c in day_calls if c.at > window.end]
    assert "system_hourly" not in closing or closing.count("system_hourly") == 1
    end = start + timedelta(days=1)
    assert lifetimes[-1] == pytest.approx(simulator.truth.lifetime(end), abs=0.1)
    for ecu in simulator.site.ecus:
        ecu_lifetime = float(state_of(hass, f"{sid}_ecu_{ecu.eid}_lifetime_energy"))
        assert ecu_lifetime == pytest.approx(simulator.truth.lifetime(end, eid=ecu.eid), abs=0.1)
    assert coordinator.calls_used == len(simulator.calls)
    # Inverter day energy comes exact with the closing, and is not shown as today's tomorrow:
    # after the system's midnight the day's figures show 0 until the new day's first poll.
    uid = simulator.site.ecus[1].inverters[0].uid
    day_energy = simulator.truth.day_energy(MORNING.date(), uid=uid)
    inverter = coordinator.site.inverters[uid]
    assert inverter.energy_day == MORNING.date()
    assert inverter.today_kwh == pytest.approx(day_energy, abs=0.01)
    assert float(state_of(hass, f"{sid}_{uid}_today_energy")) == 0.0
    assert float(state_of(hass, f"{sid}_today_energy")) == 0.0
    await advance(hass, freezer, timedelta(hours=6))  # past the next morning's first poll
    morning = simulator.truth.day_energy(end.date(), dt_util.utcnow(), uid=uid)
    assert float(state_of(hass, f"{sid}_{uid}_today_energy")) <= morning + 0.01
    assert float(state_of(hass, f"{sid}_{uid}_ch1_today_energy")) <= morning + 0.01
    # A day of DEBUG logging never shows the credentials or the signing headers.
    assert "GET batch_power" in caplog.text
    for secret in (simulator.app_id, simulator.app_secret, "X-CA-", "Signature"):
        assert secret not in caplog.text


async def test_buttons(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    """Refresh spends one poll's calls, but nothing while the data is younger than the ECU's
    upload or while a refresh runs; 50 presses cost one refresh; beyond the daily allowance
    or into the budget's reserve it is refused, clearly."""
    button = er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{simulator.sid}_refresh")
    assert button is not None
    calls = len(simulator.calls)
    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert len(simulator.calls) == calls  # the set-up's answers are minutes old
    freezer.tick(timedelta(minutes=6))
    presses = [
        hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
        for _ in range(50)
    ]
    await asyncio.gather(*presses)
    assert [c.endpoint for c in simulator.calls[calls:]] == [
        "batch_power",
        "batch_power",
        "meter_minutely",
    ]
    for _ in range(3):  # the allowance: four refreshes a day
        freezer.tick(timedelta(minutes=6))
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    freezer.tick(timedelta(minutes=6))
    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert refused.value.translation_key == "manual_allowance"
    assert (refused.value.translation_placeholders or {}).get("allowance") == "12"
    assert len(simulator.calls) == calls + 12
    coordinator.planner_state.manual_used = 0
    coordinator.book.record(dt_util.utcnow(), "another entry", 990)
    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert refused.value.translation_key == "manual_budget"
    assert len(simulator.calls) == calls + 12


async def test_a_button_meeting_refused_credentials_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    """Refresh now with revoked credentials: a clear error and the re-authentication flow,
    the call counted."""
    button = er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{simulator.sid}_refresh")
    assert button is not None
    freezer.tick(timedelta(minutes=6))
    simulator.inject(Fault(code=2002, times=None))
    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert refused.value.translation_key == "auth_failed"
    assert refused.value.translation_placeholders == {"code": "2002"}
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert coordinator.calls_used == simulator.calls_this_month()


async def test_rescan_adds_and_removes_devices(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    coordinator: APsystemsCoordinator,
) -> None:
    """A new inverter appears without reload; one the inventory leaves out is no longer
    polled, loses its device when the inventory a day later leaves it out too (then it may
    be deleted), and comes back with its device and entities when it is listed again."""
    site = simulator.site
    first, second = site.ecus[0], site.ecus[1]
    gone = first.inverters[0]
    new = Inverter("806000009999", "DS3")
    stale = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, gone.uid), mock_config_entry.entry_id
    )
    assert stale is not None
    simulator.site = dataclasses.replace(
        site,
        ecus=(
            dataclasses.replace(first, inverters=(*first.inverters[1:], new)),
            second,
            *site.ecus[2:],
        ),
    )
    simulator.truth = StorageTruth(simulator.site)
    rescan = er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{site.sid}_rescan")
    freezer.tick(timedelta(minutes=6))
    await hass.services.async_call("button", "press", {"entity_id": rescan}, blocking=True)
    await hass.async_block_till_done()
    devices = dr.async_get(hass)
    entry_id = mock_config_entry.entry_id
    assert devices.async_get_device_by_identifier((DOMAIN, new.uid), entry_id) is not None
    assert devices.async_get_device_by_identifier((DOMAIN, gone.uid), entry_id) is not None
    assert gone.uid not in coordinator.planner.site.inverters  # missed once: not polled
    assert not await async_remove_config_entry_device(hass, mock_config_entry, stale)
    assert state_of(hass, f"{site.sid}_{new.uid}_power") == "unknown"
    # Its channels come with the next batch answer.
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": f"button.apsystems_{site.sid.lower()}_refresh_now"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert float(state_of(hass, f"{site.sid}_{new.uid}_ch1_power")) >= 0
    current = devices.async_get_device_by_identifier((DOMAIN, new.uid), entry_id)
    assert current is not None
    assert not await async_remove_config_entry_device(hass, mock_config_entry, current)
    # Left out again a day later: gone.
    await advance(hass, freezer, timedelta(days=1))
    await hass.services.async_call("button", "press", {"entity_id": rescan}, blocking=True)
    await hass.async_block_till_done()
    assert devices.async_get_device_by_identifier((DOMAIN, gone.uid), entry_id) is None
    assert await async_remove_config_entry_device(hass, mock_config_entry, stale)
    assert coordinator.session.outcomes.removed_devices == {gone.uid}

    # Listed again: its device and entities come back, without a reload.
    simulator.site = site
    simulator.truth = StorageTruth(site)
    await advance(hass, freezer, timedelta(minutes=6))
    await hass.services.async_call("button", "press", {"entity_id": rescan}, blocking=True)
    await hass.async_block_till_done()
    assert devices.async_get_device_by_identifier((DOMAIN, gone.uid), entry_id) is not None
    assert state_of(hass, f"{site.sid}_{gone.uid}_lifetime_energy") != "unavailable"


async def test_quota_exhausted_raises_and_clears_a_repair_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    coordinator: APsystemsCoordinator,
) -> None:
    """Code 2005 stops polling and opens an issue; the daily probe's success closes it."""
    issue_id = f"quota_exhausted_{mock_config_entry.entry_id}"
    simulator.inject(Fault(code=2005, times=None))
    await advance(hass, freezer, timedelta(hours=3))
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "quota_exhausted"
    assert coordinator.book.exhausted(dt_util.utcnow())
    calls = len(simulator.calls)
    await advance(hass, freezer, timedelta(hours=6))
    assert len(simulator.calls) == calls  # no polling while exhausted
    simulator.clear_faults()
    await advance(hass, freezer, timedelta(hours=24))
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert not coordinator.book.exhausted(dt_util.utcnow())


@pytest.mark.usefixtures("coordinator")
async def test_auth_failure_during_updates_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
) -> None:
    """Credentials revoked while running: a reauth flow starts."""
    simulator.inject(Fault(code=2002, times=None))
    await advance(hass, freezer, timedelta(hours=3))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("coordinator")
async def test_unreachable_is_logged_once_and_data_kept(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An outage logs one warning and one recovery line; entities keep their values."""
    sid = simulator.sid
    lifetime = state_of(hass, f"{sid}_lifetime_energy")
    simulator.inject(Fault(http_status=500, times=None))
    caplog.set_level(logging.INFO)
    await advance(hass, freezer, timedelta(hours=3))
    assert caplog.text.count("is unreachable") == 1
    assert state_of(hass, f"{sid}_lifetime_energy") == lifetime
    simulator.clear_faults()
    await advance(hass, freezer, timedelta(hours=3))
    assert caplog.text.count("answers again") == 1
    assert float(state_of(hass, f"{sid}_lifetime_energy")) > float(lifetime)


@pytest.mark.usefixtures("coordinator")
async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """No credential, SID, serial number or visitor code leaves in diagnostics, raw answers
    included; the planner state does."""
    data = await async_get_config_entry_diagnostics(hass, mock_config_entry)
    text = json.dumps(data)
    secrets = [simulator.app_id, simulator.app_secret, simulator.sid]
    secrets += [ecu.eid for ecu in simulator.site.ecus]
    secrets += [inv.uid for ecu in simulator.site.ecus for inv in ecu.inverters]
    secrets += list(simulator.site.meters)
    secrets += [simulator.site.authorization_code or "authorization_code"]
    assert [s for s in secrets if s in text] == []
    assert data["answers"]["endpoints"]["details"]["target"] == "sid"
    assert data["planner"]["calls_used"] == len(simulator.calls)
    assert data["planner"]["last_plan"]["calls"]
    assert data["entry"]["data"]["app_secret"] == "**REDACTED**"
    assert "inverter_1" in data["site"]["inverters"]


async def test_setup_at_night_knows_the_lifetimes_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Added at night, the system's, every ECU's and the meter's lifetimes show at once (the
    Energy dashboard needs no sunrise), and nothing else is called before the morning."""
    night = MORNING.replace(hour=1)
    freezer.move_to(night)
    await setup(hass, simulator, mock_config_entry)
    sid = simulator.sid
    assert [c.endpoint for c in simulator.calls] == SETUP_CALLS
    assert float(state_of(hass, f"{sid}_lifetime_energy")) == pytest.approx(
        simulator.truth.lifetime(night), abs=0.1
    )
    for ecu in simulator.site.ecus:
        assert float(state_of(hass, f"{sid}_ecu_{ecu.eid}_lifetime_energy")) == pytest.approx(
            simulator.truth.lifetime(night, eid=ecu.eid), abs=0.1
        )
    meter = simulator.site.meters[0]
    assert float(state_of(hass, f"{sid}_meter_{meter}_imported_lifetime")) == pytest.approx(
        simulator.truth.meter_summary(night)["lifetime"].imported, abs=0.01
    )
    # The solar production statistic is there for the Energy dashboard: yesterday's hours.
    coordinator = mock_config_entry.runtime_data
    yesterday = night.astimezone(zone_of(coordinator.site.timezone)).date() - timedelta(days=1)
    rows = await hourly_rows(hass, coordinator, yesterday, 1, PRODUCTION)
    assert [r["state"] for r in rows] == pytest.approx(simulator.truth.hourly(yesterday), abs=0.01)
    await advance(hass, freezer, timedelta(hours=1))
    assert len(simulator.calls) == len(SETUP_CALLS)


async def test_a_refused_ecu_summary_is_asked_again_once_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An ECU whose summary keeps failing is asked again with the next poll, then once a
    day, never at every poll; its lifetime stays unknown, the rest works."""
    eid = simulator.site.ecus[0].eid
    simulator.inject(Fault(endpoint="ecu_summary", code=5000, times=None))
    freezer.move_to(MORNING.replace(hour=1))
    await setup(hass, simulator, mock_config_entry)
    caplog.set_level(logging.WARNING)
    await advance(hass, freezer, timedelta(hours=47))

    asked = [c.at for c in simulator.calls if c.endpoint == "ecu_summary"]
    # The first run (it stops at the failure), then the first poll of each day.
    assert len(asked) == 3, asked
    assert asked[1].date() == asked[0].date() < asked[2].date()
    assert state_of(hass, f"{simulator.sid}_ecu_{eid}_lifetime_energy") == "unknown"
    assert float(state_of(hass, f"{simulator.sid}_lifetime_energy")) > 0
    assert "refused ecu_summary: APsystems API code 5000" in caplog.text


async def test_an_outage_does_not_show_an_old_power_as_current(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    """The API stops answering after the morning's poll: the power sensors keep their
    reading for three planned intervals, then show unknown; after sunset the production's
    show 0 W, the meter's (consumption goes on) stay unknown. Energy totals stay available
    all along."""
    sid = simulator.sid
    uid = simulator.site.ecus[0].inverters[0].uid
    meter = simulator.site.meters[0]
    powers = [
        f"{sid}_power",
        f"{sid}_ecu_{simulator.site.ecus[0].eid}_power",
        f"{sid}_{uid}_power",
        f"{sid}_{uid}_ch1_power",
        f"{sid}_meter_{meter}_grid_power",
    ]
    assert all(float(state_of(hass, p)) != 0 for p in powers)
    lifetime = state_of(hass, f"{sid}_lifetime_energy")
    simulator.inject(Fault(drop=True, times=None))
    stale_after = max(coordinator.poll_interval * 3, timedelta(minutes=30))
    await advance(hass, freezer, stale_after - timedelta(minutes=10))
    assert all(float(state_of(hass, p)) != 0 for p in powers)
    await advance(hass, freezer, timedelta(minutes=70))
    assert [state_of(hass, p) for p in powers] == ["unknown"] * len(powers)
    assert state_of(hass, f"{sid}_lifetime_energy") == lifetime
    window = coordinator.planner.daylight.sun(MORNING.date())
    assert window is not None
    await advance(hass, freezer, window.end - dt_util.utcnow() + timedelta(minutes=65))
    assert [state_of(hass, p) for p in powers] == ["0.0"] * 4 + ["unknown"]
    assert state_of(hass, f"{sid}_lifetime_energy") == lifetime


async def test_devices_the_lost_state_no_longer_knows_go_too(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    coordinator: APsystemsCoordinator,
) -> None:
    """The state file is damaged while an inverter is no longer listed: the site rebuilt
    from the lists does not know it, and its leftover device goes when the inventory a day
    later still leaves it out."""
    uid = simulator.site.ecus[0].inverters[0].uid
    devices = dr.async_get(hass)
    entry_id = mock_config_entry.entry_id
    assert await hass.config_entries.async_unload(entry_id)
    await hass.async_block_till_done()
    hass_storage[f"{DOMAIN}.{entry_id}"]["data"]["site"] = "damaged"
    simulator.unlisted = {uid}
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert uid not in coordinator.site.inverters
    assert devices.async_get_device_by_identifier((DOMAIN, uid), entry_id) is not None
    await advance(hass, freezer, timedelta(days=1))
    rescan = er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{simulator.sid}_rescan")
    await hass.services.async_call("button", "press", {"entity_id": rescan}, blocking=True)
    await hass.async_block_till_done()
    assert devices.async_get_device_by_identifier((DOMAIN, uid), entry_id) is None
    ecu = simulator.site.ecus[0].eid
    assert devices.async_get_device_by_identifier((DOMAIN, ecu), entry_id) is not None


async def test_a_system_added_in_daylight_is_polled_at_once_also_when_calls_are_scarce(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """Added on the last day of a month (the calls left are few), in daylight: the first
    poll runs with the set-up, so no inverter shows *Unknown*; the set-up's calls count as
    part of the month's assumed spending, so the next polls come about as often as on an
    ordinary day, not hours apart."""
    now = datetime(2026, 11, 30, 6, 46, tzinfo=UTC)
    freezer.move_to(now)
    timezone, longitude = noon_place(now)
    async with Simulator(demo_site(now, timezone=timezone, longitude=longitude)) as sim:
        coordinator = await setup(hass, sim, config_entry(sim))
        assert coordinator.poll_interval < timedelta(hours=2)
        assert coordinator.last_plan is not None
        assert coordinator.last_plan.at == now
        for inverter in coordinator.site.inverters.values():
            assert inverter.last_report is not None
            assert inverter.channels
