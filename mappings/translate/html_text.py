"""Plain text from rendered HTML (C6: a template render whose upstream ``text`` is null).

Legacy renders always answered a text body next to the html. The new render answer's ``text``
is nullable (HTML-only templates have no text part), so the text is derived here, with the
standard library's ``html.parser`` only:

* block elements (paragraphs, headings, divs, table rows, list items, ``<br>``) become line
  breaks; table cells are separated by a space, list items start with ``- ``;
* a link keeps its URL after its text: ``Shop (https://example.com/shop)`` (just the URL when
  the text is the URL; ``mailto:``/``tel:`` links and ``#`` anchors keep only their text);
* an image contributes its ``alt`` text;
* character references are decoded (``&amp;`` -> ``&``, ``&nbsp;`` -> a space);
* ``<script>``, ``<style>``, ``<head>`` (and ``<title>``), ``<template>``, ``<noscript>`` and
  comments are dropped;
* runs of whitespace inside text collapse to one space (as a browser shows them), except in
  ``<pre>``; at most one blank line separates blocks; lines are stripped.

Pure and bounded: one pass over the input, output no longer than the input's text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

BLOCKS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "thead", "tfoot", "tr", "ul", "body", "html",
    }
)  # fmt: skip
# Blocks that read as paragraphs: a blank line after them.
PARAGRAPHS: Final = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "ul", "ol"})
HIDDEN: Final = frozenset({"script", "style", "head", "title", "template", "noscript"})
CELLS: Final = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
# Break markers, resolved once the text is complete: a run of them is one line break, or one
# blank line when a paragraph break is among them (``</p><p>`` is not two blank lines).
_BREAK = "\x00"
_PARAGRAPH = "\x01"
_BREAKS = re.compile(r"[ \t]*[\x00\x01][\x00\x01 \t]*")


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # depth inside script/style/head...
        self.pre = 0
        self.links: list[str | None] = []  # the href of each open <a>
        self.link_text: list[list[str]] = []

    def _emit(self, text: str) -> None:
        if self.link_text:
            self.link_text[-1].append(text)
        self.parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
            return
        if self.hidden:
            return
        if tag == "br":
            self._emit(_BREAK)
        elif tag in CELLS:
            self._emit(" ")
        elif tag == "li":
            self._emit(_BREAK + "- ")
            return
        elif tag in BLOCKS:
            self._emit(_PARAGRAPH if tag in PARAGRAPHS or tag == "hr" else _BREAK)
        if tag == "pre":
            self.pre += 1
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self._emit(alt)
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
            self.link_text.append([])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:  # <script/> opens nothing
            return
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.hidden:
            return
        if tag == "a" and self.links:
            href = (self.links.pop() or "").strip()
            text = " ".join("".join(self.link_text.pop()).split())
            if href and not href.startswith(("#", "mailto:", "tel:", "javascript:")) and href != text:
                self._emit(f" ({href})" if text else href)
            return
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in BLOCKS and tag != "li":  # the next item (or the list's end) breaks the line
            self._emit(_PARAGRAPH if tag in PARAGRAPHS else _BREAK)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        self._emit(data.replace("\xa0", " ") if self.pre else _SPACES.sub(" ", data.replace("\xa0", " ")))


def html_to_text(html: str) -> str:
    """The plain-text version of ``html`` (see the module docstring for the rules)."""
    builder = _TextBuilder()
    builder.feed(html)
    builder.close()
    text = "".join(builder.parts).replace(_BREAK + "- ", "\x02")  # list bullets survive the runs
    text = _BREAKS.sub(lambda run: "\n\n" if _PARAGRAPH in run.group() else "\n", text)
    lines = [line.strip() for line in text.replace("\x02", "\n- ").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")
