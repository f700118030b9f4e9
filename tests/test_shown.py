"""The code a run shows, highlighted on the server: Pygments tokens whose text is the source."""

import ast
import asyncio
import inspect
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from pygments.token import STANDARD_TYPES

from playground.strategies import STRATEGIES, wire
from playground.strategies.api import Api
from playground.strategies.shown import piece, shown_functions, shown_source, text_of
from tests.support.runs import run_spec

EVERY_GUARD = {"limit": 3, "rate": 50, "timeout_ms": 5000, "retries": 2, "deadline_ms": 10_000, "block_ms": 1}
CLASSES = set(STANDARD_TYPES.values())  # the short names Pygments' HTML formatter gives token types


def accepted(strategy, spec: dict) -> dict:
    """`spec` without the guards the strategy refuses (RunSpec would refuse them)."""
    return {k: v for k, v in spec.items() if not strategy.refusal(k)}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_each_piece_carries_its_source_highlighted(name):
    strategy = STRATEGIES[name]
    spec = {"strategy": name, **accepted(strategy, EVERY_GUARD)}
    pieces = shown_source(strategy, spec)
    functions = [fn for _, fn in shown_functions(strategy, spec)]
    described = strategy.describe()
    pieces += [described["code"], *described["helpers"]]
    functions += [strategy.fn, *strategy.helpers]
    for shown, fn in zip(pieces, functions, strict=True):
        tokens = shown["tokens"]
        assert text_of(shown) == textwrap.dedent(inspect.getsource(fn)), shown["title"]  # the source exactly
        assert {cls for cls, _ in tokens} <= CLASSES, shown["title"]
        assert len({cls for cls, _ in tokens}) > 3, shown["title"]  # really highlighted: keywords, names, ...
    assert ["k", "async"] in pieces[0]["tokens"]  # every strategy is an async def


def test_describe_shows_the_strategy_as_a_run_would():
    strategy = STRATEGIES["gather"]
    assert strategy.describe()["code"] == shown_source(strategy, {"strategy": "gather"})[0]
    assert strategy.describe()["code"]["where"].startswith("playground/strategies/gather.py:")


def test_markup_in_the_source_stays_text_in_its_token():
    def angle():
        return '<script>alert("&")</script>'  # markup in a string and a comment: <b>

    shown = piece("angle", angle)
    assert text_of(shown) == textwrap.dedent(inspect.getsource(angle))
    strings = [text for cls, text in shown["tokens"] if cls.startswith("s")]
    assert any("<script>" in text for text in strings)  # a string token, shown as text
    assert ["c1", "# markup in a string and a comment: <b>"] in shown["tokens"]


# Every guard on (each strategy keeps its own), and a seed whose request 2 fails twice,
# so every line of shown code -- retry_delay included -- has to run. (A strategy that
# refuses retries gets no failures: nothing would try them again.)
ALL_ON = {
    "requests": 3,
    "latency_ms": 5,
    "failure_rate": 0.3,
    "seed": 1,
    "retries": 2,
    "limit": 2,
    "rate": 1000,
    "timeout_ms": 5000,
    "deadline_ms": 10_000,
    "batch_size": 2,
    "workers": 2,
    "block_ms": 1,
}


def code_objects(code):
    """A code object and every function, lambda and comprehension nested in it."""
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            yield from code_objects(const)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_shown_source_is_the_code_that_runs(name, demo_api):
    """Each piece of run.started's code parses to the function in its file, and it ran."""
    strategy = STRATEGIES[name]
    spec = {"strategy": name, **accepted(strategy, ALL_ON)}
    if strategy.refusal("retries"):
        spec["failure_rate"] = 0
    pieces = shown_functions(strategy, spec)
    fns = [fn for _, fn in pieces]
    request = Api.fetch_blocking if strategy.blocking_client else Api.fetch
    assert fns[0] is strategy.fn and fns[-2:] == [wire, request]
    for fn in fns:
        code = fn.__code__
        shown = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
        text = Path(code.co_filename).read_text()
        in_file = next(
            node
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.lineno == code.co_firstlineno
        )
        # Dedented like the shown text, so a method's docstring compares equal too.
        lines = text.splitlines()[in_file.lineno - 1 : in_file.end_lineno]
        assert ast.dump(shown) == ast.dump(ast.parse(textwrap.dedent("\n".join(lines))).body[0])

    called = set()

    def profiler(frame, event, arg):
        if event == "call":
            called.add(frame.f_code)

    sys.setprofile(profiler)
    threading.setprofile(profiler)  # the threads a run starts (to_thread, a pool) are profiled too
    try:
        outcome, evts = asyncio.run(run_spec(spec, demo_api.url))
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    assert outcome.status == "finished", outcome.error
    for title, fn in pieces:
        missing = [c.co_name for c in code_objects(fn.__code__) if c not in called]
        assert not missing, f"{title}: shown but never ran: {missing}"
    assert [text_of(p) for p in evts[0]["code"]] == [textwrap.dedent(inspect.getsource(fn)) for fn in fns]
