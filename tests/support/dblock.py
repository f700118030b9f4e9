"""A real lock on a table of the test database (the events' by default), held by a second SQLite connection.

The test database is SQLite in memory with a shared cache (Django's default for tests):
there a connection reading a table holds a table lock until its transaction ends, and a
writer to that table fails at once with "database table is locked" -- no busy timeout.
So while the lock is held every store of an event batch fails, deterministically and
fast, and the rest of the database (the Run row) stays writable.
"""

import asyncio
import sqlite3

from django.db import connection

from tests.support.demoapi import UNTIL_TIMEOUT_S


class TableLock:
    def __init__(self, table: str = "runs_event"):
        self._table = table
        name = connection.settings_dict["NAME"]
        assert "mode=memory" in name and "cache=shared" in name, f"needs the shared in-memory test database, not {name}"
        self._holder = sqlite3.connect(name, uri=True, check_same_thread=False)
        self.held = False

    async def acquire(self) -> None:
        """Take the lock; a store in progress holds the table, so wait for it to end."""
        async with asyncio.timeout(UNTIL_TIMEOUT_S):
            while not self.held:
                try:
                    self._holder.execute("BEGIN")
                    self._holder.execute(f"SELECT count(*) FROM {self._table}").fetchall()  # locked until rollback
                    self.held = True
                except sqlite3.OperationalError:  # "database table is locked": a store (or an update) is writing
                    self._holder.rollback()
                    await asyncio.sleep(0.001)

    def release(self) -> None:
        self._holder.rollback()
        self.held = False

    def close(self) -> None:
        if self.held:
            self.release()
        self._holder.close()
