"""Shims to run the suite on Home Assistant 2026.11 with the test plugin released for
2026.10 (pytest-homeassistant-custom-component 0.13.375, which pins homeassistant 2026.10.4).

The only place such shims live. ``scripts/test-next`` loads this module before the plugin
(``-p tests.ha_next``: pytest imports ``-p`` modules before its entry-point plugins). Delete
it, ``requirements_test_next.txt`` and ``scripts/test-next`` once the plugin has a 2026.11
release: then the main requirements move to that release.

1. Home Assistant 2026.11 aliases ``httpx`` to ``httpx2`` when it is imported, and refuses
   when ``httpx`` was imported before: the plugin imports ``httpx`` first, so Home Assistant
   is imported here, earlier.
2. The plugin imports ``_clear_logger_overwrites`` from ``homeassistant.components.logger``;
   2026.11 moved it to ``homeassistant.components.logger.helpers``.
"""

import homeassistant  # noqa: F401 - imported for its side effect (1)
from homeassistant.components import logger
from homeassistant.components.logger import helpers

if not hasattr(logger, "_clear_logger_overwrites"):
    logger._clear_logger_overwrites = helpers._clear_logger_overwrites  # type: ignore[attr-defined]
