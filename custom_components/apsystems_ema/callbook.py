"""One call book per App ID, shared by every entry that uses the App ID.

The quota of the APsystems OpenAPI belongs to the App ID: this module keeps one
:class:`~.planner.CallBook` per App ID in ``hass.data``, persisted once in a Store whose
name is a hash of the App ID (the file name reveals nothing), and a lock that makes checking
the budget and spending it one step for every entry of the App ID.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from .const import CONF_APP_ID, DOMAIN, LOGGER
from .planner import CallBook

BOOK_VERSION = 1
SAVE_DELAY = 10  # seconds
DATA_BOOKS = f"{DOMAIN}_books"


def book_key(app_id: str) -> str:
    """A stable name for the App ID's book that does not reveal the App ID."""
    return hashlib.sha256(f"{DOMAIN}:{app_id}".encode()).hexdigest()[:16]


def _store(hass: HomeAssistant, app_id: str) -> Store[dict[str, Any]]:
    """The App ID's book file (under ``.storage``)."""
    return Store(hass, BOOK_VERSION, f"{DOMAIN}.calls.{book_key(app_id)}")


@dataclass
class SharedBook:
    """The App ID's call book, its Store, its lock and the entries that use it."""

    book: CallBook
    store: Store[dict[str, Any]]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    entries: set[str] = field(default_factory=set)

    def save(self) -> None:
        """Write the book soon (several calls in a row make one write)."""
        self.store.async_delay_save(self.book.as_dict, SAVE_DELAY)

    async def async_save(self) -> None:
        """Write the book now."""
        await self.store.async_save(self.book.as_dict())


async def async_attach(
    hass: HomeAssistant,
    app_id: str,
    entry_id: str,
    now: datetime,
) -> SharedBook:
    """The App ID's book (loaded once), with ``entry_id`` counted among its users. Weights
    of entries that no longer exist are dropped."""
    books: dict[str, SharedBook] = hass.data.setdefault(DATA_BOOKS, {})
    key = book_key(app_id)
    shared = books.get(key)
    if shared is None:
        store = _store(hass, app_id)
        shared = books.setdefault(key, SharedBook(await _load(store, now), store))
    configured = {
        entry.entry_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_APP_ID) == app_id
    } | {entry_id}
    for gone in set(shared.book.weights) - configured:
        del shared.book.weights[gone]
    shared.entries.add(entry_id)
    return shared


async def async_detach(hass: HomeAssistant, app_id: str, entry_id: str) -> None:
    """``entry_id`` unloads: the book is written; the last entry to leave lets it go. Its
    weight stays while the entry exists (see :func:`async_forget`)."""
    books: dict[str, SharedBook] = hass.data.get(DATA_BOOKS, {})
    key = book_key(app_id)
    shared = books.get(key)
    if shared is None:
        return
    shared.entries.discard(entry_id)
    await shared.async_save()
    if not shared.entries:
        del books[key]


async def async_forget(hass: HomeAssistant, app_id: str, entry_id: str) -> None:
    """``entry_id`` is deleted: its share goes to the App ID's other entries."""
    store = _store(hass, app_id)
    shared = hass.data.get(DATA_BOOKS, {}).get(book_key(app_id))
    book = shared.book if shared is not None else await _load(store, datetime.now(UTC))
    book.weights.pop(entry_id, None)
    await store.async_save(book.as_dict())


async def async_remove(hass: HomeAssistant, app_id: str) -> None:
    """Delete the App ID's book (when no entry uses the App ID any more)."""
    hass.data.get(DATA_BOOKS, {}).pop(book_key(app_id), None)
    await _store(hass, app_id).async_remove()


async def _load(store: Store[dict[str, Any]], now: datetime) -> CallBook:
    """The stored book; an unreadable one (damaged, negative counts, a newer version) is
    replaced by one counting from ``now``, which takes the period before as spent at an
    even rate: never as unspent."""
    try:
        data = await store.async_load()
        if data:
            return CallBook.from_dict(data)
    except (HomeAssistantError, ValueError) as err:
        LOGGER.warning("Ignoring an unreadable call book (%s); counting afresh", err)
    return CallBook(since=now)
