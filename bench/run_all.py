"""Run every benchmark in bench/ (each prints its figure and its ratio to a baseline, or its target).

plain_gather.py is not one: it is the learner's script gather_vs_plain.py runs in its own process.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("gather_vs_plain.py", "presets.py", "costs.py", "frames.py", "load.py", "classroom.py")

if __name__ == "__main__":
    failed = 0
    for name in BENCHES:
        print(f"== {name}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / name)]).returncode != 0
    sys.exit(1 if failed else 0)
