"""Admission: caps on runs in flight, per learner, per server, and by work.

A run beyond a cap is refused whole (RunRefused, with the figures), never
half-started. Places are reserved before the Run row exists, so two quick
presses cannot both slip under a cap. The counts are this process's: with
several processes each enforces its own share.
"""

from django.conf import settings

# owner -> requests of each run admitted and not yet over (reserved before the Run
# row exists, so two quick presses cannot both slip under a cap).
ADMITTED: dict[str, list[int]] = {}


class RunRefused(Exception):
    """A cap on runs in flight was reached; the message says which and what to do."""


def run_admit(*, owner: str, requests: int = 1) -> None:
    """Reserve a place for one more run of `owner` making `requests`, or raise RunRefused."""
    runs = sum(len(v) for v in ADMITTED.values())
    if runs >= settings.MAX_RUNS_IN_FLIGHT:
        raise RunRefused(
            f"The server is running its maximum of {settings.MAX_RUNS_IN_FLIGHT} runs; try again when one finishes."
        )
    busy = sum(sum(v) for v in ADMITTED.values())
    if busy and busy + requests > settings.MAX_REQUESTS_IN_FLIGHT:
        raise RunRefused(
            f"The server is busy with {busy:,} requests of other runs and takes at most "
            f"{settings.MAX_REQUESTS_IN_FLIGHT:,} at once; this run adds {requests:,}. "
            "Try a smaller run, or again in a moment."
        )
    mine = ADMITTED.setdefault(owner, [])
    if len(mine) >= settings.MAX_RUNS_PER_VISITOR:
        raise RunRefused(
            f"You already have {len(mine)} runs going (at most {settings.MAX_RUNS_PER_VISITOR}); "
            "wait for one to finish or cancel it."
        )
    mine.append(requests)


def run_release(*, owner: str, requests: int = 1) -> None:
    mine = ADMITTED.get(owner, [])
    if requests in mine:
        mine.remove(requests)
    if not mine:
        ADMITTED.pop(owner, None)
