"""`python manage.py prune_runs [--older-than DAYS] [--dry-run]`: delete old finished runs.

Runs still queued or running are never touched. Safe while the playground serves:
it deletes in short transactions (playground/runs/pruning.py), e.g. nightly from cron.
"""

import datetime
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from playground.runs.pruning import runs_prune

DAYS_MAX = 36_500  # a century; a much larger age would put the cutoff before year 1, which datetime cannot hold

# The name an error gives when the setting, not the option, is out of range.
DEFAULT_NAME = "RUNS_KEEP_DAYS (PLAYGROUND_RUNS_KEEP_DAYS), the default of --older-than,"


class Command(BaseCommand):
    help = "Delete finished runs, and their events, created more than DAYS days ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            metavar="DAYS",
            help=f"age in whole days, 1 to {DAYS_MAX:,} (default: RUNS_KEEP_DAYS, now {settings.RUNS_KEEP_DAYS})",
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, older_than: str | int | None, dry_run: bool, **options) -> None:
        if older_than is None:
            days = _days(settings.RUNS_KEEP_DAYS, DEFAULT_NAME)
        else:
            days = _days(older_than, "--older-than")
        runs, events = runs_prune(older_than=datetime.timedelta(days=days), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {_count(runs, 'run')} and {_count(events, 'event')} older than {days:,} days.")


def _days(value: object, name: str) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= DAYS_MAX:
        raise CommandError(f"{name} must be a whole number of days from 1 to {DAYS_MAX:,}, not {value!r}")
    return int(text)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
