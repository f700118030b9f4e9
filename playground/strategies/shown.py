"""The code a run shows: every function of ours that ran for it, in reading order.

    the strategy -> the helpers it calls -> each guard the spec turns on (and its
    helpers) -> wire(), which put them together -> Api.fetch, the request itself
    (Api.fetch_blocking for the strategies whose requests use the blocking client)

The source text is read from the very function objects that run, so what a
learner reads is what ran (tests/test_strategies.py checks this with a profiler).
Each piece carries its source cut into tokens by Pygments' Python lexer, as data:
[css class, text] pairs (the class names of Pygments' HTML formatter, "k", "nf",
"s2" ...) whose texts joined are the source exactly (text_of). The code panel
(static/playground/code-panel.js) turns them into spans that app.css colours. No
markup travels, so none can reach the page.
"""

import inspect
import textwrap
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypedDict

from pygments import lex
from pygments.lexers import PythonLexer
from pygments.token import STANDARD_TYPES

from playground.strategies.api import Api
from playground.strategies.guards import active_guards, wire

ROOT = Path(__file__).resolve().parents[2]  # paths are shown relative to the project
# stripnl=False: the tokens' text is the source exactly, blank lines included.
LEXER = PythonLexer(stripnl=False)


def shown_functions(strategy, spec: dict) -> list[tuple[str, Callable]]:
    """(title, function) of every piece of code this spec runs, in reading order."""
    pieces = [(f"Strategy: {strategy.label}", strategy.fn)]
    pieces += [(f"Used by {strategy.name}: {fn.__name__}", fn) for fn in strategy.helpers]
    for param, guard, helpers in active_guards(strategy, spec):
        pieces.append((f"Guard for {param}: {guard.__name__}", guard))
        pieces += [(f"Used by {guard.__name__}: {fn.__name__}", fn) for fn in helpers]
    request = Api.fetch_blocking if strategy.blocking_client else Api.fetch
    pieces.append((f"Wiring: the guards around api.{request.__name__}, the deadline around the strategy", wire))
    pieces.append((f"The request itself: Api.{request.__name__}", request))
    out, seen = [], set()
    for title, fn in pieces:
        if fn not in seen:  # a helper that two pieces share is shown once
            seen.add(fn)
            out.append((title, fn))
    return out


def css_class(ttype) -> str:
    """Pygments' short class for a token type ("k", "nf"; "" for plain text), as its HTML uses."""
    while ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    return STANDARD_TYPES[ttype]


@lru_cache(maxsize=256)  # the catalog's sources, highlighted once per process, not per page
def highlighted(source: str) -> tuple[tuple[str, str], ...]:
    """`source` as (css class, text) tokens, neighbours of one class joined; their text is `source`."""
    out: list[tuple[str, str]] = []
    for ttype, text in lex(source, LEXER):
        cls = css_class(ttype)
        if out and out[-1][0] == cls:
            out[-1] = (cls, out[-1][1] + text)
        else:
            out.append((cls, text))
    return tuple(out)


class Piece(TypedDict):
    title: str
    where: str  # path:line of the function
    tokens: list[list[str]]  # [css class, text], the texts joined are its source


def piece(title: str, fn: Callable) -> Piece:
    """{"title", "where", "tokens"}: one function's file:line and its source, highlighted."""
    code = fn.__code__
    path = Path(code.co_filename).resolve()
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    source = textwrap.dedent(inspect.getsource(fn))
    return {
        "title": title,
        "where": f"{where}:{code.co_firstlineno}",
        "tokens": [list(token) for token in highlighted(source)],
    }


def text_of(shown: Piece) -> str:
    """A piece's source, exactly: its tokens' texts joined."""
    return "".join(text for _, text in shown["tokens"])


def shown_source(strategy, spec: dict) -> list[Piece]:
    """[{"title", "where", "tokens"}, ...]: the code a run of `spec` runs."""
    return [piece(title, fn) for title, fn in shown_functions(strategy, spec)]
