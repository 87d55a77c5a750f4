"""Pages of issue 24: remediation board, crisis log, evidence packs, declarations."""

__all__: list[str] = []  # the pages are reached through urls.py
