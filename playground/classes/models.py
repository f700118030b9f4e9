"""A class and its learners.

A browser is known by its session's visitor id (runs.views.visitor), the same id that owns its
runs: the teacher is the browser that created the class, a learner the browser that joined it.
What comes next (the stage, rounds of guesses, the gallery) hangs off these two: a round and its
guesses will point at the Classroom and at Learner ids; a learner's runs are the runs whose
owner is the learner's visitor id, started while the class lasts.
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
