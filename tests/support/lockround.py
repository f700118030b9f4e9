"""`python -m tests.support.lockround CODE RUN_ID`: rounds.round_lock as the stage calls it; prints
the locked round's number, or "none" (tests/support/rounds.py runs it beside a test's Daphne)."""

import asyncio
import os
import sys

import django


async def main(code: str, run_id: str) -> None:
    from playground.classes.models import Classroom
    from playground.classes.rounds import round_lock
    from playground.runs.models import Run

    classroom = await Classroom.objects.aget(code=code.replace("-", "").upper())
    run = await Run.objects.aget(id=run_id)
    locked = await round_lock(classroom=classroom, run=run)
    print(locked.number if locked else "none")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    django.setup()
    asyncio.run(main(*sys.argv[1:3]))
