"""Mail detectors: phishing on the `email` table, mailbox intrusion on logins and activity."""
