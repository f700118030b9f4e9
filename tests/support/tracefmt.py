"""The Trace Event Format's published field rules (Google's "Trace Event Format" document), checked.

PyPI has writers of the format (chrometrace, trace-events) but no parser that runs here:
perfetto's trace_processor downloads its binary on first use, and this machine is offline.
So an export is checked against the document's rules for the events it uses:

    top level    {"traceEvents": [...]} (object form; displayTimeUnit "ms" or "ns")
    every event  name: str, ph: str, pid and tid: int, ts: number (microseconds), args: object
    "X"          complete: dur a number >= 0
    "M"          metadata: name in process_name, thread_name, process_sort_index, thread_sort_index, ...;
                 args.name a str for the *_name ones, args.sort_index an int for the *_sort_index ones
    one thread   complete events nest: a slice that starts inside another ends inside it too
"""

from numbers import Real

METADATA = {"process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"}


def check_trace(trace: dict) -> list[dict]:
    """Its complete events; AssertionError naming the first rule broken."""
    assert isinstance(trace, dict) and isinstance(trace.get("traceEvents"), list), "an object with traceEvents"
    assert trace.get("displayTimeUnit", "ms") in ("ms", "ns"), "displayTimeUnit is ms or ns"
    complete = []
    for e in trace["traceEvents"]:
        assert isinstance(e.get("name"), str) and isinstance(e.get("ph"), str), e
        assert type(e.get("pid")) is int and type(e.get("tid")) is int, e
        assert isinstance(e.get("args", {}), dict), e
        if e["ph"] == "X":
            assert isinstance(e.get("ts"), Real) and isinstance(e.get("dur"), Real) and e["dur"] >= 0, e
            complete.append(e)
        elif e["ph"] == "M":
            assert e["name"] in METADATA, e
            key, kind = ("name", str) if e["name"].endswith("_name") else ("sort_index", int)
            assert isinstance(e["args"].get(key), kind), e
        else:
            raise AssertionError(f"an export uses only X and M events: {e}")
    _check_nesting(complete)
    return complete


def _check_nesting(complete: list[dict]) -> None:
    by_thread: dict[tuple[int, int], list[dict]] = {}
    for e in complete:
        by_thread.setdefault((e["pid"], e["tid"]), []).append(e)
    for slices in by_thread.values():
        open_: list[dict] = []
        for e in sorted(slices, key=lambda e: (e["ts"], -e["dur"])):
            while open_ and e["ts"] >= open_[-1]["ts"] + open_[-1]["dur"]:
                open_.pop()
            if open_:
                parent = open_[-1]
                assert e["ts"] + e["dur"] <= parent["ts"] + parent["dur"], f"{e} overlaps {parent} without nesting"
            open_.append(e)
