"""HTML to PDF (PDF/A-3b, with attached files) through WeasyPrint, never fetching anything.

Reports, situation reports, declarations and evidence packs are printed from self-contained
HTML (inline CSS and SVG). The fetcher refuses every URL but `data:` ones, so a hostile string
in a finding (an `<img src="http://...">`, a `file:///etc/passwd` stylesheet) cannot make the
renderer reach the network or read a local file. PDF/A-3b lets the PDF carry files (the
evidence manifest) as embedded attachments while staying an archival format.
"""

from __future__ import annotations

import gc
import logging
import warnings
from datetime import UTC, datetime
from typing import Any

__all__ = ["PdfError", "html_to_pdf"]

# A fixed date for attachments, so the same input gives comparable PDFs.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class PdfError(RuntimeError):
    """The PDF could not be produced (WeasyPrint missing or the rendering failed)."""


def _fetcher_class() -> Any:
    from weasyprint.urls import URLFetcher

    class _DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves `data:` URLs only; anything else (http, file, ftp) is refused."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                raise ValueError(f"refused to fetch {url[:80]!r}: reports fetch nothing")
            return super().fetch(url, headers)

    return _DataOnlyFetcher


def html_to_pdf(html: str, *, attachments: list[tuple[str, bytes]] | None = None) -> bytes:
    """Render self-contained HTML to PDF/A-3b bytes, with `(name, content)` files attached."""
    try:
        import weasyprint
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise PdfError("WeasyPrint is not installed (pip install weasyprint)") from exc
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    fetcher = _fetcher_class()()
    files = [
        weasyprint.Attachment(
            string=content,
            name=name,
            description=name,
            url_fetcher=fetcher,
            created=_EPOCH,
            modified=_EPOCH,
            relationship="Data",
        )
        for name, content in (attachments or [])
    ]
    # WeasyPrint opens its sRGB output-intent profile for PDF/A and never closes it: the
    # ResourceWarning is its own, silenced here and collected at once.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
            out = document.write_pdf(pdf_variant="pdf/a-3b", attachments=files)
        except Exception as exc:
            raise PdfError(f"PDF rendering failed: {exc}") from exc
        finally:
            document = None
            files.clear()
            gc.collect()
    if not isinstance(out, bytes):  # pragma: no cover
        raise PdfError("PDF rendering returned nothing")
    return out
