"""System checks: a configuration whose events would not reach the browser is refused.

Without a channel layer that crosses processes, web processes read the events workers
stored by row id (feed.py), which is safe only while one writer commits at a time
(SQLite). `manage.py runs_worker` runs these checks before it starts.
"""

from django.conf import settings
from django.core import checks
from django.db import connection

from playground.runs.eventstore import layer_crosses_processes


@checks.register()
def live_events_reach_the_browser(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if connection.vendor == "sqlite" or settings.RUNS_IN_WEB_PROCESS or layer_crosses_processes():
        return []
    return [
        checks.Error(
            f"Runs in worker processes on {connection.vendor} need a channel layer that crosses processes.",
            hint="Set REDIS_URL (channels_redis), or use SQLite, or PLAYGROUND_RUNS_IN_WEB_PROCESS=1.",
            id="playground.E001",
        )
    ]
