"""`python manage.py runs_worker`: execute queued runs, many at once, until SIGTERM or Ctrl-C.

`make run` starts one per core less one (at least one) beside Daphne, under supervisord,
which starts a new one when one dies. On SIGTERM a worker stops claiming runs, gives the
runs in flight WORKER_STOP_GRACE_S to end, and exits; a run still going then is closed as
`interrupted`, its events kept, by the next worker's sweep (recovery.py), as if it had died.
"""

import asyncio
import gc
import os
import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from playground.runs.worker import Worker


class Command(BaseCommand):
    help = "Execute queued runs until SIGTERM or Ctrl-C."

    def handle(self, *args, **options) -> None:
        # The event flusher's thread (recorder.py) waits for the interpreter lock while a run
        # keeps the loop busy; a shorter switch interval than Python's 5 ms hands it over sooner.
        sys.setswitchinterval(settings.WORKER_SWITCH_INTERVAL_S)
        # A worker serves no pages: no debug log of its queries (with DEBUG on, recording each
        # query's SQL and parameters cost it a twentieth of its CPU during a run).
        settings.DEBUG = False
        # Django and everything imported at start-up stay for good: out of the collector's
        # way, so its passes over a run's many short-lived objects stay short (gc.freeze).
        gc.freeze()
        # A run allocates in bursts (1,000 tasks, their requests, two events each): at
        # Python's default of a young collection every 700 allocations, the collector cost a
        # gather over 1,000 about a quarter of its CPU, more than a plain script spends.
        gc.set_threshold(settings.WORKER_GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        worker = Worker()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, worker.stop)
        self.stdout.write(f"Runs worker {worker.worker_id} ready. Ctrl-C to stop.")
        self.stdout.flush()
        await worker.serve()
        if left := await worker.drain(settings.WORKER_STOP_GRACE_S):
            self.stdout.write(f"Runs worker {worker.worker_id}: {left} runs still going are left to the next sweep.")
            self.stdout.flush()
            # Not asyncio.run's cancelling of the runs left: they would end as "cancelled by the learner".
            os._exit(0)
