"""`python manage.py demoapi [--host H] [--port P]`: serve the demo API in the foreground.

Handy to share one demo API between several playground processes: start it here,
then set PLAYGROUND_DEMO_API_URL to the URL it prints.
"""

import asyncio

from django.core.management.base import BaseCommand, CommandParser

from playground.demoapi.server import DEFAULT_HOST, DEFAULT_PORT, serve


class Command(BaseCommand):
    help = "Serve the demo API (a slow, flaky aiohttp service) until Ctrl-C."
    requires_system_checks = []  # it touches no models; start even mid-migration

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=DEFAULT_HOST)
        parser.add_argument(
            "--port", type=int, default=DEFAULT_PORT, help=f"0 picks a free port (default {DEFAULT_PORT})"
        )

    def handle(self, *args, host: str, port: int, **options) -> None:
        asyncio.run(serve(host, port, on_ready=self._announce))

    def _announce(self, url: str) -> None:
        self.stdout.write(f"Demo API at {url} (help at {url}/). Ctrl-C to stop.")
        self.stdout.flush()
