"""Fixtures of the Home Assistant tests."""

from collections.abc import AsyncIterator, Iterator
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from tests.ha.helpers import MORNING, VISITOR_CODE, config_entry, setup
from tests.simulator import Simulator, storage_site


@pytest.fixture(autouse=True)
def auto_enable(recorder_mock: None, enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture
def mock_config_entry(simulator: Simulator) -> MockConfigEntry:
    """A config entry of the simulated system (not added to hass)."""
    return config_entry(simulator)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create entities that are disabled by default as enabled (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
async def coordinator(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> APsystemsCoordinator:
    """The entry set up at 10:00 on a summer morning (bootstrap and first poll done)."""
    freezer.move_to(MORNING)
    return await setup(hass, simulator, mock_config_entry)


@pytest.fixture
async def pv_storage(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The PV + storage site (details type 3), its visitor access enabled."""
    async with Simulator(storage_site(MORNING, authorization_code=VISITOR_CODE)) as sim:
        yield sim
