"""A class and its learners.

A browser is known by its session's visitor id (runs.views.visitor), the same id that owns its
runs: the teacher is the browser that created the class, a learner the browser that joined it.
The stage (stage.py) is the latest Stage row of a class; rounds of guesses (rounds.py) are Round
rows with one Guess per learner; a learner's runs (gallery.py) are the runs whose owner is the
learner's visitor id, started while the class lasts. Runs pruned later leave these rows with a
null run: a round's history outlives its run.
"""

from django.db import models
from django.db.models import Q

from playground.classes.codes import CODE_LENGTH
from playground.classes.names import MAX_NAME


class Classroom(models.Model):
    code = models.CharField(max_length=CODE_LENGTH, unique=True)  # normalised: no dash, upper case
    teacher = models.CharField(max_length=64, db_index=True)  # the creating browser's visitor id
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    show_names = models.BooleanField(default=False)  # learners see each other's names (default: a count)
    # One more at every change to the roster: a socket drops a roster older than one it has sent.
    roster_rev = models.PositiveIntegerField(default=0)
    runs_paused = models.BooleanField(default=False)  # learners' own runs refused while set (the teacher talks)

    def __str__(self) -> str:
        return self.code


class Learner(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="learners")
    visitor = models.CharField(max_length=64)  # the joining browser's visitor id
    name = models.CharField(max_length=MAX_NAME)
    name_key = models.CharField(max_length=4 * MAX_NAME)  # name.casefold(): unique in the class ("ß" -> "ss")
    joined = models.DateTimeField(auto_now_add=True)
    removed = models.DateTimeField(null=True, blank=True)  # by the teacher: the browser cannot join again

    class Meta:
        constraints = [
            # One learner per browser and class, removed ones included (a removed learner stays out).
            models.UniqueConstraint(fields=["classroom", "visitor"], name="one_learner_per_browser"),
            # A name is taken while its learner is in the class; a removed learner's name is free.
            models.UniqueConstraint(
                fields=["classroom", "name_key"], condition=Q(removed=None), name="one_learner_per_name"
            ),
        ]
        ordering = ["joined", "id"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """What every screen in the class shows: one run, or two on one axis; the latest row is the stage."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="stages")
    run = models.ForeignKey("runs.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    other = models.ForeignKey(  # a second run, compared with `run` on one time axis
        "runs.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    learner = models.ForeignKey(  # whose run is on stage; None: the teacher's (or an empty stage)
        Learner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    # The load when the teacher launched `run` for everyone: what else ran or waited then.
    load = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Round(models.Model):
    """A round of predictions: opened by the teacher, locked when the stage run starts, revealed after."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField()  # 1, 2, ... in the class
    spec = models.JSONField(null=True, blank=True)  # what the class predicts, if the teacher gave it
    opened = models.DateTimeField(auto_now_add=True)
    locked = models.DateTimeField(null=True, blank=True)  # guesses closed: the teacher pressed Run
    run = models.ForeignKey("runs.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revealed = models.DateTimeField(null=True, blank=True)
    wall_ms = models.PositiveIntegerField(null=True, blank=True)  # measured, kept at the reveal
    ideal_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["classroom", "number"], name="one_round_number_per_class")]


class Guess(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="guesses")
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="guesses")
    guess_ms = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now=True)  # the last change: a learner may change it until the lock

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "learner"], name="one_guess_per_learner")]
