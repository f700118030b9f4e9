"""Every preset once, through the real executor and demo API: ideal vs measured wall time.

The ideal is the strategy's formula over the planned latencies (its baseline);
the ratio measured / ideal shows what overhead, waiting and errors added.

    .venv/bin/python bench/presets.py                      every preset
    .venv/bin/python bench/presets.py blocking to-thread   only these (by name)

A preset with own_process (the blocking and thread lessons) runs here in this process,
like the rest: its wall time is measured, its cost (threads, memory, CPU) is not.
"""

import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def measure(presets, url):
    from playground.runs.executor import Limits, execute
    from playground.runs.recorder import Recorder
    from playground.runs.spec import spec_from_json
    from playground.runs.targets import demo_target

    async def discard(batch):
        return None

    limits = Limits(connection_limit=10_000, request_timeout_s=60, max_run_s=120)
    rows = []
    for preset in presets:
        spec = spec_from_json(preset["spec"])  # SpecError names a preset's bad field
        recorder = Recorder(store=discard, publish=discard, interval=0.05, batch_max=500)
        recorder.start()
        outcome = await execute(
            spec=spec, target=demo_target(url), key=str(uuid.uuid4()), recorder=recorder, limits=limits
        )
        await recorder.close()
        rows.append((preset["label"], outcome.summary))
    return rows


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    import django

    django.setup()
    from playground.demoapi.process import DemoApiProcess
    from playground.runs.presets import PRESETS

    names = sys.argv[1:]
    unknown = set(names) - {p["name"] for p in PRESETS}
    if unknown:
        sys.exit(
            f"unknown preset(s): {', '.join(sorted(unknown))}; choose from: {', '.join(p['name'] for p in PRESETS)}"
        )
    chosen = [p for p in PRESETS if not names or p["name"] in names]
    with DemoApiProcess.start() as demo:
        rows = asyncio.run(measure(chosen, demo.url))
    print(f"{'preset':58} {'ideal':>8} {'measured':>9} {'ratio':>6}  counts")
    for label, s in rows:
        ideal = s["ideal_s"]
        ratio = f"{s['wall_s'] / ideal:.2f}" if ideal else "-"
        counts = ", ".join(f"{k} {v}" for k, v in s["counts"].items() if v)
        print(f"{label[:58]:58} {ideal if ideal is not None else '-':>7}s {s['wall_s']:>8.3f}s {ratio:>6}  {counts}")


if __name__ == "__main__":
    main()
