"""A run and its events: everything a timeline needs to be drawn again later."""

import uuid

from django.db import models


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"
        CANCELLED = "cancelled"
        INTERRUPTED = "interrupted"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    spec = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    summary = models.JSONField(null=True, blank=True)
    owner = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # "hostname:pid:nonce" of the process executing the run: a sweep interrupts only
    # the runs of processes that are gone, not those of its siblings.
    host = models.CharField(max_length=128, blank=True, default="")
    # The job engine's row for this run (django_tasks_db's DBTaskResult): its place in the queue.
    job = models.UUIDField(null=True, blank=True)
    # Set by a cancel from any process; the worker executing the run sees it and stops the run.
    cancel_requested = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.spec.get('strategy')} run {self.id} ({self.status})"


class Event(models.Model):
    """One timeline event; `data` holds the event exactly as it was sent."""

    # Its own index as well as the (run, seq) constraint's: in SQLite its entries are ordered by row id
    # within a run, so the embedded feed (eventstore.events_since) seeks run_id = ? AND id > cursor,
    # where the other index would scan the run's every event.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    data = models.JSONField()

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="event_seq_once_per_run")]
