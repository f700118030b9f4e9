"""Pruning ended classes, so a playground that serves term after term keeps no old rosters.

    classes_prune(older_than=7 days)
      | classes whose end (expires_at) is before now - older_than, the earliest first
      | CLASSES_AT_ONCE at a time, in one short write transaction each:
      |   the classes and what hangs off them (their learners: on_delete=CASCADE)
      v (classes, learners) deleted

A class that has not ended is never touched, however old. Learners' runs are runs
(playground/runs/pruning.py prunes them); a class's learners are only its roster.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from playground.classes.models import Classroom, Learner

# Classes deleted in one transaction: at most CLASS_MAX_LEARNERS (200) learners each, so about
# 10,000 rows, the size of a runs' pruning batch: SQLite's one writer is not held long.
CLASSES_AT_ONCE = 50


def classes_prune(*, older_than: datetime.timedelta, dry_run: bool = False) -> tuple[int, int]:
    """Delete classes that ended more than `older_than` ago, with their learners.

    Returns (classes, learners) deleted, or with `dry_run` those that would be, deleting nothing.
    """
    if older_than <= datetime.timedelta(0):
        raise ValueError(f"older_than must be a positive time span, not {older_than}")
    old = Classroom.objects.filter(expires_at__lt=timezone.now() - older_than)
    if dry_run:
        return old.count(), Learner.objects.filter(classroom__in=old).count()
    classes = learners = 0
    while ids := list(old.order_by("expires_at", "id").values_list("id", flat=True)[:CLASSES_AT_ONCE]):
        with transaction.atomic():
            _, deleted = old.filter(id__in=ids).delete()
        if not deleted.get(Classroom._meta.label):
            break  # none of the chosen classes could go: stop rather than choose them again forever
        classes += deleted[Classroom._meta.label]
        learners += deleted.get(Learner._meta.label, 0)
    return classes, learners
