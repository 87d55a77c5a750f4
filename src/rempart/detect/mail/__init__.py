"""Mail detectors: phishing on the `email` table, mailbox intrusion on logins and activity."""

__all__: list[str] = []  # nothing re-exported: import the modules
