"""The gallery's HTML: the page, its inline style, and one card per item; every text escaped."""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:
    from .gallery import GalleryCard


def _text(value: object) -> str:
    """Any value as escaped HTML text, safe in element content and in quoted attributes."""
    return html.escape(str(value), quote=True)


def _value(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def card_html(card: GalleryCard) -> str:
    """One item's card: its images, prompt, facts, error and history."""
    facts: list[tuple[str, str]] = [("state", card.state)]
    if card.status is not None:
        facts.append(("status", card.status))
    if card.task_id is not None:
        facts.append(("task", card.task_id))
    if card.index is not None:
        facts.append(("item", str(card.index)))
    if card.line is not None:
        facts.append(("line", str(card.line)))
    facts += [(name, _value(value)) for name, value in card.parameters.items()]
    rows = "".join(f"<dt>{_text(name)}</dt><dd>{_text(text)}</dd>" for name, text in facts)
    prompt = (
        f'<p class="prompt">{_text(card.prompt)}</p>'
        if card.prompt is not None
        else '<p class="prompt unknown">prompt unknown</p>'
    )
    error = "" if card.error is None else f'<p class="error">{_text(card.error)}</p>'
    history = ""
    if card.history:
        steps = "".join(f"<li>{_text(what)} {_text(_when(at))}</li>" for what, at in card.history)
        history = f'<ol class="history">{steps}</ol>'
    return (
        f'<article class="card {_text(card.category)}">'
        f'<div class="images">{_images(card)}</div>'
        f"{prompt}<dl>{rows}</dl>{error}{history}</article>"
    )


def _images(card: GalleryCard) -> str:
    if not card.images:
        return f'<div class="no-image">{_text(card.state)}</div>'
    alt = _text(card.prompt or "generated image")
    tags = []
    for image in card.images:
        size = ""
        if image.width is not None and image.height is not None:
            size = f' width="{image.width}" height="{image.height}"'
        src = _text(image.src)
        tags.append(f'<a href="{src}"><img src="{src}"{size} alt="{alt}"></a>')
    return "".join(tags)


def duration(seconds: float) -> str:
    """`seconds` as people read a duration: "4.2 s", "3 min 05 s", "1 h 02 min"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, second = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {second:02d} s"
    hours, minute = divmod(minutes, 60)
    return f"{hours} h {minute:02d} min"


def _when(at: float) -> str:
    moment = datetime.datetime.fromtimestamp(at, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


_STYLE = """
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #f5f5f7; --card: #fff; --muted: #6e6e73;
  --line: #d2d2d7; --ok: #1a7f37; --bad: #c62828; --warn: #b26a00; }
@media (prefers-color-scheme: dark) { :root { --fg: #f5f5f7; --bg: #161617; --card: #242426;
  --muted: #a1a1a6; --line: #3a3a3c; --ok: #3fb950; --bad: #ff6b6b; --warn: #e3a33b; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem; font: 15px/1.45 system-ui, sans-serif; color: var(--fg);
  background: var(--bg); }
h1 { margin: 0 0 .25rem; font-size: 1.4rem; }
.summary { margin: 0 0 1.25rem; color: var(--muted); }
.cards { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-top: 4px solid var(--warn);
  border-radius: 10px; padding: .75rem; overflow-wrap: anywhere; }
.card.completed { border-top-color: var(--ok); }
.card.failed, .card.invalid, .card.ambiguous { border-top-color: var(--bad); }
.images { display: flex; flex-wrap: wrap; gap: .5rem; justify-content: center;
  align-items: center; min-height: 16rem; }
.images img { display: block; width: auto; height: auto; max-width: 100%; max-height: 16rem;
  border-radius: 6px; }
.no-image { color: var(--muted); font-style: italic; }
.prompt { margin: .75rem 0 .5rem; font-weight: 600; white-space: pre-wrap; }
.prompt.unknown { color: var(--muted); font-weight: normal; font-style: italic; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .75rem; margin: 0;
  font-size: .85rem; }
dt { color: var(--muted); }
dd { margin: 0; font-family: ui-monospace, monospace; }
.error { margin: .5rem 0 0; color: var(--bad); font-size: .85rem; }
.history { margin: .5rem 0 0; padding-left: 1.25rem; color: var(--muted); font-size: .8rem; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; \
img-src 'self' file: data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="magnific-nano-banana-pro {version}">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header><h1>{title}</h1><p class="summary">{summary}</p></header>
<main class="cards">
{cards}
</main>
</body>
</html>
"""


def page_html(*, title: str, summary: str, cards: Sequence[str]) -> str:
    """The whole page around the cards' HTML (a note when there are none yet)."""
    return _PAGE.format(
        title=_text(title),
        version=_text(__version__),
        style=_STYLE,
        summary=_text(summary),
        cards="\n".join(cards) or '<p class="empty">No items yet.</p>',
    )
