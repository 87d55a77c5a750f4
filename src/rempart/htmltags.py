"""How a browser treats the HTML elements that hide or swallow text, shared by the mail
scorer and the mail ingest (a light module: the ingest's sniffers import it for every file).

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


def feed_all(parser: HTMLParser, document: str) -> None:
    """`parser.feed(document)` then what `close()` does, in linear time.

    `HTMLParser.close()` takes quadratic time on a `<` that is never closed (320 KB of
    `<div` or `<!--`: 35 to 42 s on Python 3.11.7; CPython gh-135462, CVE-2025-6069, fixed
    only in later releases). `feed` stops, in linear time, at the first construct it cannot
    finish and keeps the rest; that rest is what is handled here, as a browser does at the
    end of the document: text held back for a character reference cut at the end is text,
    and a tag, comment or declaration still open runs to the end of the document, where
    the browser drops it (HTML5 §13.2.5, "EOF in tag"), so it is dropped; the unclosed
    content of `xmp` is shown, that of `script`, `style` and the like is not.
    """
    parser.feed(document)
    rest = parser.rawdata
    parser.rawdata = ""
    if parser.cdata_elem is not None:
        if parser.cdata_elem == "xmp":
            parser.handle_data(rest)
        return
    cut = rest.find("<")
    text = rest if cut < 0 else rest[:cut]
    if text:
        parser.handle_data(html.unescape(text) if parser.convert_charrefs else text)
