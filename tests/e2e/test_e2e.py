"""End to end: a real Home Assistant, the simulator and headless Chromium.

Onboarding goes through Home Assistant's HTTP API (see :mod:`tests.e2e.stack`); everything
else as a user does it: log in, add the integration, look at its devices and entities, and
pick the system's solar production statistic as the Energy dashboard's solar source. Then
a system with PV and a battery (the simulator's ``storage`` site, moved to 34° S where
November is early summer): the battery's page, and the Energy dashboard with the system's
solar production, the battery and the grid from the battery's statistics.

Screenshots go to ``.dev/screenshots/``; with ``APSYSTEMS_E2E_UPDATE_DOCS=1`` the README's
ones in ``docs/images/`` are replaced as well. Without ``/usr/bin/chromium`` the test is
skipped, unless ``APSYSTEMS_E2E_REQUIRED`` is set (as in CI), where it fails instead.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from datetime import date, datetime, time, timedelta
import os
from pathlib import Path
import re
import shutil
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Page, async_playwright, expect
import pytest

from custom_components.apsystems_ema.statistics import statistic_id
from tests.e2e.stack import (
    PASSWORD,
    REPO,
    USERNAME,
    Stack,
    StackError,
    free_port,
    websocket_calls,
)
from tests.simulator import (
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_SID,
    STORAGE_SID,
    demo_site,
    storage_site,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = REPO / ".dev" / "screenshots"
DOCS_IMAGES = REPO / "docs" / "images"
TIMEOUT_MS = 60_000
"""Generous: the first visit of a page loads its frontend chunks on a 2-core machine."""

SYSTEM_DEVICE = f"APsystems {DEMO_SID}"
PRODUCTION_STATISTIC = f"APsystems {DEMO_SID} solar production"
INTEGRATION_NAME = "APsystems EMA (OpenAPI)"
STORAGE_SITE = "storage"
"""The simulator's PV and storage site (``--site storage``)."""
STORAGE_LATITUDE = -33.9
"""Where the PV and storage site lies in the test: the real clock's late November there is
early summer (a full battery by day, an emptied one by night), not Amsterdam's winter."""
BATTERY_EID = storage_site().storages[0].eid
BATTERY_DEVICE = f"Battery {BATTERY_EID}"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("APSYSTEMS_E2E_REQUIRED"):
        pytest.fail(f"{CHROMIUM} is missing and APSYSTEMS_E2E_REQUIRED is set")
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium); "
        "set APSYSTEMS_E2E_REQUIRED=1 to fail instead"
    )


@contextlib.contextmanager
def _running_stack(root: Path, site: str, latitude: float | None = None) -> Iterator[Stack]:
    """The simulator serving ``site`` and Home Assistant on free loopback ports, where it is
    about noon (a first day in progress, whenever the test runs) and at ``latitude`` (None:
    the site's own); onboarded; stopped after."""
    _require_chromium()
    home = Stack(
        root / "config",
        port=free_port(),
        sim_port=free_port(),
        log_dir=root,
        noon=True,
        site=site,
        latitude=latitude,
    )
    try:
        with home:
            yield home
    except StackError:
        _print_log_tail(root / "home-assistant.out")
        raise


@pytest.fixture
def stack(tmp_path: Path, socket_enabled: None) -> Iterator[Stack]:
    """The demo site and its Home Assistant."""
    with _running_stack(tmp_path, "demo") as home:
        yield home


@pytest.fixture
def storage_stack(tmp_path: Path, socket_enabled: None) -> Iterator[Stack]:
    """The PV and storage site (at :data:`STORAGE_LATITUDE`) and a Home Assistant of its own
    (the App ID a system shares with another paces the first polls of both)."""
    with _running_stack(tmp_path, STORAGE_SITE, STORAGE_LATITUDE) as home:
        yield home


def _print_log_tail(log: Path, lines: int = 80) -> None:
    """Home Assistant's last words, in the captured output of a failed test."""
    if log.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- last lines of {log}", *tail, sep="\n")  # noqa: T201


@pytest.fixture
async def browser(socket_enabled: None) -> AsyncIterator[Browser]:
    """Headless Chromium (the system's, not one Playwright downloads)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@contextlib.asynccontextmanager
async def _logged_in(browser: Browser, stack: Stack) -> AsyncIterator[Page]:
    """A logged-in page (desktop size, English); a full screenshot and Home Assistant's last
    words when the block fails."""
    # The browser where the home is: the frontend shows days and hours in its own zone.
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id=stack.place[0]
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    tab = await context.new_page()
    try:
        await _log_in(tab, stack)
        yield tab
    except BaseException:
        await _shot(tab, "failure", full=True)
        _print_log_tail(stack.log_dir / "home-assistant.out")
        raise
    finally:
        await context.close()


async def _shot(page: Page, name: str, *, docs_name: str | None = None, full: bool = False) -> None:
    """Save a screenshot to .dev/screenshots (and docs/images when asked to)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    viewport = page.viewport_size
    if full and viewport is not None:
        # A viewport as tall as the page (rather than full_page=True): the sidebar is as tall
        # as the window, so it then reaches the bottom of the picture.
        height = await page.evaluate("document.documentElement.scrollHeight")
        await page.set_viewport_size({"width": viewport["width"], "height": int(height)})
        await page.wait_for_timeout(500)
        await page.screenshot(path=path)
        await page.set_viewport_size(viewport)
    else:
        await page.screenshot(path=path, full_page=full)
    if docs_name and os.environ.get("APSYSTEMS_E2E_UPDATE_DOCS"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / docs_name)


async def _log_in(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.base_url}/config/integrations/dashboard")
    await page.get_by_role("textbox", name="Username").fill(USERNAME)
    await page.get_by_role("textbox", name="Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("button", name="Add integration")).to_be_visible()


async def _ws(stack: Stack, *messages: dict[str, Any]) -> list[Any]:
    """Home Assistant's websocket API as the ``dev`` user."""
    assert stack.tokens is not None
    return await websocket_calls(stack.base_url, stack.tokens.access_token, *messages)


async def _add_integration(page: Page, stack: Stack) -> None:
    """Add the integration for the stack's system (with screenshots for the demo site)."""
    shots = stack.site == "demo"
    await page.goto(f"{stack.base_url}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("APsystems")
    # (The search's result: a button; an entry added before is a link on the dashboard.)
    await page.get_by_role("button", name=INTEGRATION_NAME, exact=True).click()
    await expect(page.get_by_text("System ID (SID)")).to_be_visible()
    await page.get_by_role("textbox", name="App ID").fill(DEMO_APP_ID)
    await page.get_by_role("textbox", name="App Secret").fill(DEMO_APP_SECRET)
    await page.get_by_role("textbox", name="System ID (SID)").fill(stack.sid())
    server = page.get_by_role("textbox", name="Server URL")
    await server.fill(stack.sim_url)
    await expect(server).to_have_value(stack.sim_url)
    if shots:
        await _shot(page, "1-config-flow", docs_name="config-flow.png")
    await page.get_by_role("button", name="Submit").click()

    # Success: the dialog offers to name the new devices and assign areas.
    finish = page.get_by_role("button", name="finish", exact=False)
    await expect(finish).to_be_visible()
    await expect(page.get_by_text("EMA system").first).to_be_visible()
    if shots:
        await _shot(page, "2-devices-created")
    await finish.click()
    await expect(finish).to_be_hidden()


async def _integration_page(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.base_url}/config/integrations/integration/apsystems_ema")
    await expect(page.get_by_text(INTEGRATION_NAME, exact=True).first).to_be_visible()
    await expect(page.get_by_text(SYSTEM_DEVICE).first).to_be_visible()
    for ecu in demo_site().ecus:
        await expect(page.get_by_text(f"ECU {ecu.eid}").first).to_be_visible()
    # The system is a device like the others, not a "service".
    await expect(page.get_by_text("1 service")).to_have_count(0)
    await _shot(page, "3-integration", docs_name="integration.png")


async def _system_device_page(page: Page) -> None:
    await page.get_by_text(SYSTEM_DEVICE, exact=True).first.click()
    await expect(page.get_by_text("Device info")).to_be_visible()
    for entity in ("Lifetime energy", "Energy today", "Power", "API calls this month"):
        await expect(page.get_by_text(entity, exact=True).first).to_be_visible()
    await expect(page.get_by_text("Connected devices")).to_be_visible()
    await _shot(page, "4-system-device", docs_name="device.png", full=True)


async def _inverter_device_page(page: Page, stack: Stack) -> None:
    """An inverter's page at noon of the first day: every sensor has a value."""
    inverter = demo_site().ecus[0].inverters[0].uid
    await page.goto(f"{stack.base_url}/config/integrations/integration/apsystems_ema")
    await page.get_by_text(f"Inverter {inverter}", exact=True).first.click()
    await expect(page.get_by_text("Device info")).to_be_visible()
    for entity in ("AC power", "Energy today", "Lifetime energy", "Last report"):
        await expect(page.get_by_text(entity, exact=True).first).to_be_visible()
    await expect(page.get_by_text("Channel 2 energy today", exact=True).first).to_be_visible()
    await expect(page.get_by_text("Unknown", exact=True)).to_have_count(0)
    await _shot(page, "5-inverter-device", docs_name="inverter.png", full=True)


async def _energy_solar(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.base_url}/config/energy")
    await page.get_by_role("button", name="Add solar production").click()
    await expect(page.get_by_text("Configure solar panels")).to_be_visible()
    await page.get_by_text("Select a statistic").first.click()
    # Fill the picker's own search field: typed keys elsewhere are shortcuts ("e": search).
    await page.locator("ha-picker-combo-box").get_by_role("textbox").fill("solar production")
    # The system's exact hourly statistic, there since set-up (yesterday's hours). The
    # picker's rows are custom elements without an ARIA role.
    option = page.locator("ha-combo-box-item").filter(has_text=PRODUCTION_STATISTIC)
    await option.first.click()
    await expect(page.get_by_role("button", name="Save")).to_be_enabled()
    await _shot(page, "6-energy-solar-dialog")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Configure solar panels")).to_be_hidden()
    await expect(page.get_by_text(PRODUCTION_STATISTIC).first).to_be_visible()
    await _shot(page, "7-energy-config", docs_name="energy.png")


async def test_add_integration_and_energy_source(stack: Stack, browser: Browser) -> None:
    """Add the integration in the UI, find its entities, and pick its solar production
    statistic as the solar source minutes after set-up (at any hour of the day)."""
    async with _logged_in(browser, stack) as page:
        await _add_integration(page, stack)
        await _integration_page(page, stack)
        await _system_device_page(page)
        await _inverter_device_page(page, stack)
        await _energy_solar(page, stack)

    (prefs,) = await _ws(stack, {"type": "energy/get_prefs"})
    solar = [source for source in prefs["energy_sources"] if source["type"] == "solar"]
    assert [source["stat_energy_from"] for source in solar] == [statistic_id(DEMO_SID)]


async def _storage_statistics(stack: Stack) -> dict[str, str]:
    """The system's solar production and the battery's imported statistics by series, once
    the set-up has stored them (yesterday's hours and older)."""
    series = ("charge", "discharge", "import", "export")
    wanted = {key: statistic_id(STORAGE_SID, f"{BATTERY_EID}_battery_{key}") for key in series}
    wanted["solar"] = statistic_id(STORAGE_SID)
    async with asyncio.timeout(TIMEOUT_MS / 1000):
        while True:
            (listed,) = await _ws(
                stack, {"type": "recorder/list_statistic_ids", "statistic_type": "sum"}
            )
            if set(wanted.values()) <= {row["statistic_id"] for row in listed}:
                return wanted
            await asyncio.sleep(1)


async def _battery_soc(stack: Stack) -> float:
    """The state of charge the battery's sensor holds now."""
    registry, states = await _ws(
        stack, {"type": "config/entity_registry/list"}, {"type": "get_states"}
    )
    unique_id = f"{STORAGE_SID}_battery_{BATTERY_EID}_soc"
    (entity_id,) = (
        entry["entity_id"]
        for entry in registry
        if entry["platform"] == "apsystems_ema" and entry["unique_id"] == unique_id
    )
    (state,) = (state["state"] for state in states if state["entity_id"] == entity_id)
    return float(state)


async def _battery_device_page(page: Page, stack: Stack) -> None:
    """The battery's page in daylight: its state of charge and powers have values."""
    await page.goto(f"{stack.base_url}/config/integrations/integration/apsystems_ema")
    await page.get_by_text(BATTERY_DEVICE, exact=True).first.click()
    await expect(page.get_by_text("Device info")).to_be_visible()
    for entity in ("State of charge", "Charge power", "Discharge power", "Charged energy"):
        await expect(page.get_by_text(entity, exact=True).first).to_be_visible()
    soc = await _battery_soc(stack)
    assert 0 < soc <= 100
    # The entities card's row: the name, and the state (slotted into the row's shadow tree).
    row = page.locator("hui-generic-entity-row").filter(has_text="State of charge")
    await expect(row).to_contain_text(re.compile(rf"\b{soc:.0f}\s?%"))
    await expect(page.get_by_text("Unknown", exact=True)).to_have_count(0)
    await _shot(page, "8-battery-device", docs_name="battery.png", full=True)


async def _energy_storage(page: Page, stack: Stack) -> list[dict[str, Any]]:
    """The Energy dashboard's sources from the integration's statistics alone (as its
    settings page saves them): the system's solar production, the battery as home battery
    storage, and the grid as the battery measures it (imported, exported). Then the
    dashboard on yesterday: the set-up brought yesterday's solar hours, its first poll
    yesterday's battery hours (today's come with the closing after sunset). The sources
    saved."""
    stats = await _storage_statistics(stack)
    sources: list[dict[str, Any]] = [
        {"type": "solar", "stat_energy_from": stats["solar"]},
        # Out of the battery (discharged), into it (charged).
        {
            "type": "battery",
            "stat_energy_from": stats["discharge"],
            "stat_energy_to": stats["charge"],
        },
        # Consumed from the grid (imported), returned to it (exported).
        {
            "type": "grid",
            "stat_energy_from": stats["import"],
            "stat_energy_to": stats["export"],
            "cost_adjustment_day": 0,
        },
    ]
    await _ws(stack, {"type": "energy/save_prefs", "energy_sources": sources})
    zone = ZoneInfo(stack.place[0])
    today = datetime.now(zone).date()
    yesterday = today - timedelta(days=1)
    await _assert_sunny_day(stack, stats["solar"], yesterday)

    await page.goto(f"{stack.base_url}/energy")
    distribution = page.locator("hui-energy-distribution-card")
    for node in ("Solar", "Grid", "Battery"):
        await expect(
            distribution.get_by_text(node, exact=True).filter(visible=True).first
        ).to_be_visible()
    await page.get_by_role("button", name=re.compile("previous", re.IGNORECASE)).click()
    await expect(page.get_by_text(f"{yesterday:%b} {yesterday.day}", exact=True)).to_be_visible()
    await expect(page.get_by_text("Battery total", exact=True)).to_be_visible()
    await page.mouse.move(0, 0)  # no hover highlight on the picker's button
    await page.wait_for_timeout(1000)  # the charts' animation
    await _shot(page, "9-energy-battery", docs_name="energy-battery.png")
    return sources


async def _assert_sunny_day(stack: Stack, solar: str, day: date) -> None:
    """The system's solar production statistic holds ``day`` (a day of early summer: it
    produced)."""
    zone = ZoneInfo(stack.place[0])
    start = datetime.combine(day, time(), zone)
    (rows,) = await _ws(
        stack,
        {
            "type": "recorder/statistics_during_period",
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(days=1)).isoformat(),
            "statistic_ids": [solar],
            "period": "day",
            "types": ["change"],
        },
    )
    # (Also the row of the day after, which starts at the end: today's hours so far.)
    (change,) = (row["change"] for row in rows[solar] if row["start"] == start.timestamp() * 1000)
    assert change > 0


async def test_battery_device_and_energy_storage(storage_stack: Stack, browser: Browser) -> None:
    """Add a PV and storage system in the UI: its battery's page shows the state of charge,
    and with the system's and the battery's statistics as the Energy dashboard's solar,
    home battery storage and grid, the dashboard shows the energy going in and out."""
    stack = storage_stack
    async with _logged_in(browser, stack) as page:
        await _add_integration(page, stack)
        await _battery_device_page(page, stack)
        saved = await _energy_storage(page, stack)

    (prefs,) = await _ws(stack, {"type": "energy/get_prefs"})
    for wanted in saved:
        (source,) = (s for s in prefs["energy_sources"] if s["type"] == wanted["type"])
        assert {key: source[key] for key in wanted} == wanted
