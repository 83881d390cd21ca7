"""End to end: a real Home Assistant, the simulator and headless Chromium.

Onboarding goes through Home Assistant's HTTP API (see :mod:`tests.e2e.stack`); everything
else as a user does it: log in, add the integration, look at its devices and entities, and
pick the system's solar production statistic as the Energy dashboard's solar source.

Screenshots go to ``.dev/screenshots/``; with ``APSYSTEMS_E2E_UPDATE_DOCS=1`` the README's
ones in ``docs/images/`` are replaced as well. Without ``/usr/bin/chromium`` the test is
skipped, unless ``APSYSTEMS_E2E_REQUIRED`` is set (as in CI), where it fails instead.
"""

from collections.abc import AsyncIterator, Iterator
import os
from pathlib import Path
import shutil

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
from tests.simulator import DEMO_APP_ID, DEMO_APP_SECRET, DEMO_SID, demo_site

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


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("APSYSTEMS_E2E_REQUIRED"):
        pytest.fail(f"{CHROMIUM} is missing and APSYSTEMS_E2E_REQUIRED is set")
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium); "
        "set APSYSTEMS_E2E_REQUIRED=1 to fail instead"
    )


@pytest.fixture
def stack(tmp_path: Path, socket_enabled: None) -> Iterator[Stack]:
    """The simulator and Home Assistant on free loopback ports, onboarded; stopped after."""
    _require_chromium()
    home = Stack(
        tmp_path / "config",
        port=free_port(),
        sim_port=free_port(),
        log_dir=tmp_path,
        noon=True,  # a first day at noon, whenever the test runs
    )
    try:
        with home:
            yield home
    except StackError:
        _print_log_tail(tmp_path / "home-assistant.out")
        raise


def _print_log_tail(log: Path, lines: int = 80) -> None:
    """Home Assistant's last words, in the captured output of a failed test."""
    if log.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- last lines of {log}", *tail, sep="\n")  # noqa: T201


@pytest.fixture
async def browser(stack: Stack) -> AsyncIterator[Browser]:
    """Headless Chromium (the system's, not one Playwright downloads)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


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


async def _add_integration(page: Page, stack: Stack) -> None:
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("APsystems")
    await page.get_by_text(INTEGRATION_NAME, exact=True).click()
    await expect(page.get_by_text("System ID (SID)")).to_be_visible()
    await page.get_by_role("textbox", name="App ID").fill(DEMO_APP_ID)
    await page.get_by_role("textbox", name="App Secret").fill(DEMO_APP_SECRET)
    await page.get_by_role("textbox", name="System ID (SID)").fill(DEMO_SID)
    server = page.get_by_role("textbox", name="Server URL")
    await server.fill(stack.sim_url)
    await expect(server).to_have_value(stack.sim_url)
    await _shot(page, "1-config-flow", docs_name="config-flow.png")
    await page.get_by_role("button", name="Submit").click()

    # Success: the dialog offers to name the new devices and assign areas.
    finish = page.get_by_role("button", name="finish", exact=False)
    await expect(finish).to_be_visible()
    await expect(page.get_by_text("EMA system").first).to_be_visible()
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
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = await context.new_page()
    try:
        await _log_in(page, stack)
        await _add_integration(page, stack)
        await _integration_page(page, stack)
        await _system_device_page(page)
        await _inverter_device_page(page, stack)
        await _energy_solar(page, stack)
    except BaseException:
        await _shot(page, "failure", full=True)
        _print_log_tail(stack.log_dir / "home-assistant.out")
        raise
    finally:
        await context.close()

    assert stack.tokens is not None
    (prefs,) = await websocket_calls(
        stack.base_url, stack.tokens.access_token, {"type": "energy/get_prefs"}
    )
    solar = [source for source in prefs["energy_sources"] if source["type"] == "solar"]
    assert [source["stat_energy_from"] for source in solar] == [statistic_id(DEMO_SID)]
