"""The web process's start-up (playground/asgi.py), in a process of its own as Daphne imports it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_application_freezes_what_start_up_made():
    """Django's and the playground's start-up objects are out of the collector's passes (gc.freeze),
    so a full collection in the web process no longer walks them while sockets wait."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "playground.settings", "PLAYGROUND_STARTUP": "0"}
    code = (
        "import gc, sys; before = gc.get_freeze_count(); import playground.asgi;"
        "print(before, gc.get_freeze_count(), 'playground.runs.api' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    before, after, views = out.stdout.split()
    assert int(before) == 0 and int(after) > 10_000, "Django's modules and objects are frozen, not a handful"
    assert views == "True", "the views are loaded before the freeze, not at the first request"
