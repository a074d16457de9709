"""The gallery page as Python's HTML parser reads it: cards, their texts, images, links."""

from __future__ import annotations

from html.parser import HTMLParser

import attrs


@attrs.define
class ParsedCard:
    classes: list[str]
    prompt: str = ""
    facts: dict[str, str] = attrs.field(factory=dict)
    error: str | None = None
    images: list[dict[str, str | None]] = attrs.field(factory=list)
    history: list[str] = attrs.field(factory=list)


class GalleryPage(HTMLParser):
    """Every start tag with its attributes; the cards with their texts; the summary line."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cards: list[ParsedCard] = []
        self.title = ""
        self.summary = ""
        self._open: list[tuple[str, str]] = []  # (tag, class) of the open elements
        self._dt = ""
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        classes = (attributes.get("class") or "").split()
        if tag == "article" and "card" in classes:
            self.cards.append(ParsedCard(classes=classes))
        if tag == "img" and self.cards:
            self.cards[-1].images.append(attributes)
        if tag not in ("img", "meta", "br"):
            self._open.append((tag, " ".join(classes)))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._open:
            return
        tag, classes = self._open[-1]
        inside = [name for name, _ in self._open]
        if tag == "title":
            self.title += data
        elif "summary" in classes:
            self.summary += data
        elif self.cards and "article" in inside:
            card = self.cards[-1]
            if "prompt" in classes:
                card.prompt += data
            elif "error" in classes:
                card.error = (card.error or "") + data
            elif tag == "dt":
                self._dt = data
            elif tag == "dd":
                card.facts[self._dt] = card.facts.get(self._dt, "") + data
            elif tag == "li":
                card.history.append(data)
