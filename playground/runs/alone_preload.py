"""Loaded once by the forkserver that runs/alone.py forks runs from: Django set up and the
run's code imported before any fork, so a child starts in milliseconds, not seconds."""

import django
from django.apps import apps

if not apps.ready:
    django.setup()

import playground.runs.alone  # noqa: E402, F401 (after setup: these import models)
import playground.runs.lifecycle  # noqa: E402, F401
