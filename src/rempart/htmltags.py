"""How a browser treats the HTML elements that hide or swallow text, shared by the mail
scorer and the mail ingest (a light module: the ingest's sniffers import it for every file).

`noframes`, `noembed`, `iframe` and `xmp` are raw text to a browser (no tag inside them
opens anything), as `script` and `style` are to Python's HTMLParser; a parser that does
not know it reads `<noframes><style></noframes>` as an open `<style>` and misses the rest
of the message, which the reader sees.
"""

from __future__ import annotations

RAW_TEXT_TAGS = frozenset({"noframes", "noembed", "iframe", "xmp"})
# whose content is never shown (xmp's raw text is)
UNSHOWN_TAGS = frozenset({"script", "style", "title", "noframes", "noembed", "iframe"})
