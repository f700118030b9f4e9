"""Rounds of predictions: open, guess, lock at the stage run, reveal. (Being built.)

round_hello(classroom, role) -> dict   merged into the class socket's hello: {"round": ...}
round_lock(classroom, run)             the teacher pressed Run: the open round locks on `run`
"""

from playground.classes.models import Classroom


async def round_hello(*, classroom: Classroom, role) -> dict:
    return {}


async def round_lock(*, classroom: Classroom, run) -> None:
    return None
