"""Pages of issue 24: remediation board, crisis log, evidence packs, declarations."""
