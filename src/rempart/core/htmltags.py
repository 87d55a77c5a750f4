"""HTML read as a browser shows it, for the mail scorer and the mail ingest (a light module:
the ingest's sniffers import it for every file).

`noframes`, `noembed`, `iframe` and `xmp` are raw text to a browser (no tag inside them
opens anything), as `script` and `style` are to Python's HTMLParser; a parser that does
not know it reads `<noframes><style></noframes>` as an open `<style>` and misses the rest
of the message, which the reader sees.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

RAW_TEXT_TAGS = frozenset({"noframes", "noembed", "iframe", "xmp"})
# whose content is never shown (xmp's raw text is)
UNSHOWN_TAGS = frozenset({"script", "style", "title", "noframes", "noembed", "iframe"})


class ShownHtmlParser(HTMLParser):
    """An HTMLParser that passes on only what a browser shows: the `shown_*` hooks never
    see an element of UNSHOWN_TAGS nor the text inside one, raw-text elements are read as
    raw text, and `read` ends the document as a browser does, in linear time."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.unshown = 0  # how deep inside elements whose content is never shown

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in RAW_TEXT_TAGS:
            self.set_cdata_mode(tag)  # as HTMLParser does itself for script and style
        if tag in UNSHOWN_TAGS:
            self.unshown += 1
        else:
            self.shown_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in UNSHOWN_TAGS:
            self.unshown = max(0, self.unshown - 1)
        else:
            self.shown_endtag(tag)

    def handle_data(self, data: str) -> None:
        if not self.unshown:
            self.shown_data(data)

    def shown_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A start tag outside the unshown elements."""

    def shown_endtag(self, tag: str) -> None:
        """An end tag outside the unshown elements."""

    def shown_data(self, data: str) -> None:
        """Text a reader sees."""

    def read(self, document: str) -> None:
        """`feed(document)` then what `close()` does, in linear time.

        `HTMLParser.close()` takes quadratic time on a `<` that is never closed (320 KB of
        `<div` or `<!--`: 35 to 42 s on Python 3.11.7; CPython gh-135462, CVE-2025-6069,
        fixed only in later releases). `feed` stops, in linear time, at the first construct
        it cannot finish and keeps the rest; that rest is handled here as a browser ends a
        document: text held back for a character reference cut at the end is text, and a
        tag, comment or declaration still open runs to the end of the document, where the
        browser drops it (HTML5 §13.2.5, "EOF in tag"); the unclosed content of `xmp` is
        shown, that of `script`, `style` and the like is not.
        """
        self.feed(document)
        rest, self.rawdata = self.rawdata, ""
        if self.cdata_elem is not None:
            if self.cdata_elem == "xmp":
                self.handle_data(rest)
            return
        cut = rest.find("<")
        text = rest if cut < 0 else rest[:cut]
        if text:
            self.handle_data(html.unescape(text))
