"""Rows each write transaction deletes, read from the database's own answers (cursor.rowcount).

with DeletesPerTransaction() as seen:
    ... code that deletes ...
seen.transactions  -> [{"runs_event": 10000}, {"runs_event": 1, "runs_run": 500}, ...]

A transaction is an outermost `transaction.atomic()` opened inside the block: inside a
pytest-django test (itself one transaction) that is a savepoint, so the block watches
SAVEPOINT / RELEASE SAVEPOINT. A DELETE outside any of them counts as a transaction of its own.
"""

import re
from collections import Counter

from django.db import connection

DELETE = re.compile(r'DELETE FROM "(\w+)"')


class DeletesPerTransaction:
    def __init__(self):
        self.transactions: list[Counter] = []
        self._depth = 0

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self._watch)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)

    def _watch(self, execute, sql, params, many, context):
        if sql.startswith("SAVEPOINT"):
            self._depth += 1
            if self._depth == 1:
                self.transactions.append(Counter())
        result = execute(sql, params, many, context)
        if sql.startswith("RELEASE SAVEPOINT"):  # Django releases a savepoint it rolled back to, too
            self._depth -= 1
        elif match := DELETE.match(sql):
            if not self._depth:
                self.transactions.append(Counter())
            self.transactions[-1][match[1]] += context["cursor"].rowcount
        return result
