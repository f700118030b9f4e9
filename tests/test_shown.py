"""The code a run shows, highlighted on the server: Pygments HTML whose text is the source."""

from html.parser import HTMLParser

import pytest

from playground.strategies import STRATEGIES
from playground.strategies.shown import piece, shown_source

EVERY_GUARD = {"limit": 3, "rate": 50, "timeout_ms": 5000, "retries": 2, "deadline_ms": 10_000}


class Tokens(HTMLParser):
    """Reads Pygments' nowrap HTML: the text, and every tag with its attributes."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.text, self.tags = [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_each_piece_carries_its_source_highlighted(name):
    strategy = STRATEGIES[name]
    spec = {"strategy": name, **EVERY_GUARD}
    pieces = shown_source(strategy, spec) + [strategy.describe()["code"], *strategy.describe()["helpers"]]
    for shown in pieces:
        tokens = Tokens(shown["html"])
        assert "".join(tokens.text) == shown["source"], shown["title"]  # the text is the source exactly
        # Flat token spans with a class each: no other tag, no other attribute (no inline style).
        assert {tag for tag, _ in tokens.tags} == {"span"}, shown["title"]
        assert {name for _, attrs in tokens.tags for name, _ in attrs} == {"class"}, shown["title"]
    assert '<span class="k">async</span>' in pieces[0]["html"]  # every strategy is an async def


def test_describe_shows_the_strategy_as_a_run_would():
    strategy = STRATEGIES["gather"]
    assert strategy.describe()["code"] == shown_source(strategy, {"strategy": "gather"})[0]
    assert strategy.describe()["code"]["where"].startswith("playground/strategies/gather.py:")


def test_the_source_is_escaped_never_markup():
    def angle():
        return '<script>alert("&")</script>'  # markup in a string and a comment: <b>

    shown = piece("angle", angle)
    assert "<script" not in shown["html"] and "<b>" not in shown["html"]
    assert "&lt;script&gt;" in shown["html"] and "&amp;" in shown["html"]
    tokens = Tokens(shown["html"])
    assert "".join(tokens.text) == shown["source"]
    assert {tag for tag, _ in tokens.tags} == {"span"}
