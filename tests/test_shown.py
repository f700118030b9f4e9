"""The code a run shows, highlighted on the server: Pygments tokens whose text is the source."""

import inspect
import textwrap

import pytest
from pygments.token import STANDARD_TYPES

from playground.strategies import STRATEGIES
from playground.strategies.shown import piece, shown_functions, shown_source, text_of

EVERY_GUARD = {"limit": 3, "rate": 50, "timeout_ms": 5000, "retries": 2, "deadline_ms": 10_000}
CLASSES = set(STANDARD_TYPES.values())  # the short names Pygments' HTML formatter gives token types


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_each_piece_carries_its_source_highlighted(name):
    strategy = STRATEGIES[name]
    spec = {"strategy": name, **EVERY_GUARD}
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
