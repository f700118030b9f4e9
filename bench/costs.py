"""Threads vs tasks at 1,000 requests, as the comparison shows them: what each run cost, measured.

    this script --POST the group "threads-vs-tasks" one run at a time--> make run's playground
      each run alone in its own process (own_process): its summary's cost {cpu_s,
      peak_memory_mb, threads} and wall_s, measured there (runs/meter.py)

The runs go one after another (not together, as the comparison's form starts them), so that
no run's figures include another's work. gather is the baseline each ratio is taken against.
Reports the median of --rounds rounds per run.

    .venv/bin/python bench/costs.py [--rounds 3]
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from tests.support.servers import start_playground, stop  # noqa: E402 (after the path)
from tests.support.wsclient import collect_run, start_run  # noqa: E402

WORKERS = max(1, (os.cpu_count() or 2) - 1)  # `make run`'s default
FIGURES = ("wall_s", "cpu_s", "peak_memory_mb", "threads")


def group_specs() -> list[tuple[str, dict]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    import django

    django.setup()
    from playground.runs.presets import PAIRS, PRESETS

    by_name = {p["name"]: p for p in PRESETS}
    group = next(p for p in PAIRS if p["name"] == "threads-vs-tasks")
    return [(name, {**by_name[name]["spec"], "seed": group["seed"], "own_process": True}) for name in group["presets"]]


def measure(srv, spec: dict) -> dict:
    async def run() -> dict:
        return (await collect_run(srv, await start_run(srv, spec)))[-1]

    end = asyncio.run(run())
    if end["status"] != "finished" or not end["summary"]["cost"]:
        raise RuntimeError(f"{spec['strategy']}: ended {end['status']}: {end.get('error')}")
    return {"wall_s": end["summary"]["wall_s"], **end["summary"]["cost"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20:
        parser.error(f"--rounds: must be between 1 and 20 (got {args.rounds})")
    specs = group_specs()
    got: dict[str, list[dict]] = {name: [] for name, _ in specs}
    with tempfile.TemporaryDirectory(prefix="playground-costs-") as tmp:
        proc, srv = start_playground(Path(tmp), workers=WORKERS, env={"PLAYGROUND_MAX_RUNS_PER_VISITOR": "20"})
        try:
            for _ in range(args.rounds):
                for name, spec in specs:
                    got[name].append(measure(srv, spec))
        finally:
            stop(proc)
    median = {name: {f: statistics.median(r[f] for r in rows) for f in FIGURES} for name, rows in got.items()}
    base = median["gather-1000"]
    print(f"Threads vs tasks, 1,000 requests of 200 ms, each alone in its process; median of {args.rounds} rounds")
    print(f"  {'run':<16}{'wall s':>8}{'CPU s':>8}{'memory +MB':>12}{'threads':>9}   ratio to gather (CPU, memory)")
    for name, m in median.items():
        cpu = m["cpu_s"] / base["cpu_s"] if base["cpu_s"] else float("nan")
        mem = m["peak_memory_mb"] / base["peak_memory_mb"] if base["peak_memory_mb"] else float("nan")
        print(
            f"  {name:<16}{m['wall_s']:>8.2f}{m['cpu_s']:>8.2f}{m['peak_memory_mb']:>12.1f}{m['threads']:>9.0f}"
            f"   {cpu:.2f}x, {mem:.2f}x"
        )


if __name__ == "__main__":
    main()
