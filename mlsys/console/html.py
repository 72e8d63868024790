"""Server-side HTML of the console: every value from the store is escaped here, once.

Pages are built from :class:`Html` fragments (already-safe markup) and plain values (escaped on
the way in), so a hostile group name, feature value or expectation argument is shown as text
and never runs as markup or script.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlencode


class Html(str):
    """Markup that is already safe (built by this module); plain ``str`` is escaped."""

    __slots__ = ()


def esc(value: Any) -> Html:
    """``value`` as text: markup from this module passes through, anything else is escaped."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[Any], sep: str = "") -> Html:
    return Html(esc(sep).join(esc(p) for p in parts))


def tag(element: str, /, *children: Any, **attrs: Any) -> Html:
    """``<element attrs>children</element>``; attribute values and children are escaped."""
    shown = "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"'
                    for k, v in attrs.items() if v is not None and v is not False)
    return Html(f"<{element}{shown}>{join(children)}</{element}>")


def url(*segments: Any, **query: Any) -> str:
    """A console path: every segment percent-encoded (a name with ``/`` or ``?`` stays one
    segment), then the query (None values left out)."""
    path = "/" + "/".join(quote(str(s), safe="") for s in segments)
    params = {k: v for k, v in query.items() if v is not None}
    return f"{path}?{urlencode(params)}" if params else path


def link(text: Any, href: str, **attrs: Any) -> Html:
    return tag("a", text, href=href, **attrs)


def table(header: Sequence[Any], rows: Iterable[Sequence[Any]], **attrs: Any) -> Html:
    head = tag("tr", *(tag("th", h) for h in header))
    body = [tag("tr", *(tag("td", c) for c in row)) for row in rows]
    return tag("table", tag("thead", head), tag("tbody", *body), **attrs)


def section(title: Any, *children: Any, id_: str | None = None) -> Html:
    return tag("section", tag("h2", title), *children, id=id_)


def badge(text: Any, kind: str) -> Html:
    """A coloured label (kind: ok, bad, info) for a state such as FAILED or SERVED."""
    return tag("span", text, class_=f"badge {kind}")


def bars(counts: Sequence[tuple[Any, int]]) -> Html:
    """A distribution as horizontal bars (one per bin or value), drawn with CSS only."""
    top = max((n for _, n in counts), default=0) or 1
    rows = [tag("tr", tag("td", label), tag("td", tag("div", "", class_="bar",
                                                    style=f"width:{100 * n / top:.1f}%")),
                tag("td", n)) for label, n in counts]
    return tag("table", *rows, class_="bars")


NAV = (("Feature groups", "/groups"), ("Feature views", "/views"), ("Models", "/models"),
       ("Monitoring", "/monitoring"))
STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{background:#1f3a5f;color:#fff;padding:.6em 1em}header a{color:#fff;margin-right:1.2em}
main{padding:1em 1.5em}table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top;font-size:.9em}
th{background:#f0f3f7}.badge{padding:0 .4em;border-radius:.3em;color:#fff;font-size:.85em}
.ok{background:#2e7d32}.bad{background:#c62828}.info{background:#1565c0}
.bars td{border:none;padding:0 .3em}.bar{background:#5c85d6;height:.8em;min-width:1px}
.bars{width:32em}.bars td:nth-child(2){width:20em}.muted{color:#666}
img{max-width:640px;border:1px solid #ddd}code{background:#f4f4f4}
"""


def page(title: Any, *body: Any, project: str = "") -> Html:
    """A whole page: header with the navigation, the title, the body."""
    nav = [link(text, href) for text, href in NAV]
    return Html("<!DOCTYPE html>" + tag(
        "html", tag("head", Html('<meta charset="utf-8">'), tag("title", f"{title} · mlsys"),
                    Html(f"<style>{STYLE}</style>")),
        tag("body", tag("header", tag("strong", "mlsys", f" · {project}" if project else ""),
                        " ", *nav),
            tag("main", tag("h1", title), *body)), lang="en"))


__all__ = ["Html", "badge", "bars", "esc", "join", "link", "page", "section", "table", "tag",
           "url"]
