"""The code a run shows: every function of ours that ran for it, in reading order.

    the strategy -> the helpers it calls -> each guard the spec turns on (and its
    helpers) -> wire(), which put them together -> Api.fetch, the request itself

The source text is read from the very function objects that run, so what a
learner reads is what ran (tests/test_strategies.py checks this with a profiler).
Each piece also carries its source highlighted by Pygments: HTML of flat
`<span class="k">` tokens (nowrap: no wrapper, no inline styles), which the
code panel (static/playground/code-panel.js) rebuilds and app.css colours.
"""

import inspect
import textwrap
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from playground.strategies.api import Api
from playground.strategies.guards import active_guards, wire

ROOT = Path(__file__).resolve().parents[2]  # paths are shown relative to the project
# stripnl=False: the highlighted text is the source exactly, blank lines included.
LEXER = PythonLexer(stripnl=False)
FORMATTER = HtmlFormatter(nowrap=True)  # CSS classes (k, nf, s2 ...), escaped text, nothing else


def shown_functions(strategy, spec: dict) -> list[tuple[str, Callable]]:
    """(title, function) of every piece of code this spec runs, in reading order."""
    pieces = [(f"Strategy: {strategy.label}", strategy.fn)]
    pieces += [(f"Used by {strategy.name}: {fn.__name__}", fn) for fn in strategy.helpers]
    for param, guard, helpers in active_guards(strategy, spec):
        pieces.append((f"Guard for {param}: {guard.__name__}", guard))
        pieces += [(f"Used by {guard.__name__}: {fn.__name__}", fn) for fn in helpers]
    pieces.append(("Wiring: the guards around api.fetch, the deadline around the strategy", wire))
    pieces.append(("The request itself: Api.fetch", Api.fetch))
    out, seen = [], set()
    for title, fn in pieces:
        if fn not in seen:  # a helper that two pieces share is shown once
            seen.add(fn)
            out.append((title, fn))
    return out


@lru_cache(maxsize=256)  # the catalog's sources, highlighted once per process, not per page
def highlighted(source: str) -> str:
    """`source` as Pygments HTML: token spans with CSS classes; its text is `source` exactly."""
    return highlight(source, LEXER, FORMATTER)


def piece(title: str, fn: Callable) -> dict:
    """{"title", "source", "where", "html"}: one function's code, its file:line, and it highlighted."""
    code = fn.__code__
    path = Path(code.co_filename).resolve()
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    source = textwrap.dedent(inspect.getsource(fn))
    return {"title": title, "source": source, "where": f"{where}:{code.co_firstlineno}", "html": highlighted(source)}


def shown_source(strategy, spec: dict) -> list[dict]:
    """[{"title", "source", "where", "html"}, ...]: the code a run of `spec` runs."""
    return [piece(title, fn) for title, fn in shown_functions(strategy, spec)]
