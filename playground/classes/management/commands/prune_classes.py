"""`python manage.py prune_classes [--older-than DAYS] [--dry-run]`: delete classes that ended long ago.

A class is deleted with its roster (its learners' nicknames) DAYS days after its end; a class
still running is never touched. Safe while the playground serves (short transactions,
playground/classes/pruning.py), e.g. nightly from cron next to prune_runs.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from playground.classes.pruning import classes_prune
from playground.runs.management.commands.prune_runs import DAYS_MAX, _days

DEFAULT_NAME = "CLASS_KEEP_DAYS (PLAYGROUND_CLASS_KEEP_DAYS), the default of --older-than,"


class Command(BaseCommand):
    help = "Delete classes, and their learners, that ended more than DAYS days ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            metavar="DAYS",
            help=f"days since the class ended, 1 to {DAYS_MAX:,} (default: CLASS_KEEP_DAYS, now "
            f"{settings.CLASS_KEEP_DAYS})",
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, older_than: str | int | None, dry_run: bool, **options) -> None:
        if older_than is None:
            days = _days(settings.CLASS_KEEP_DAYS, DEFAULT_NAME)
        else:
            days = _days(older_than, "--older-than")
        classes, learners = classes_prune(older_than=datetime.timedelta(days=days), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        counted = f"{_count(classes, 'class', 'classes')} and {_count(learners, 'learner', 'learners')}"
        self.stdout.write(f"{verb} {counted} that ended more than {_count(days, 'day', 'days')} ago.")


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"
