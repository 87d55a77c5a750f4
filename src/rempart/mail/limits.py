"""Size limits on hostile mail, shared by the MIME parser and the Outlook `.msg` reader.

They live apart so that `parse` (which opens `.msg` attachments with `outlook`) and
`outlook` (which keeps to the same limits) import this module, not each other.
"""

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_PARTS = 300

__all__ = ["MAX_MESSAGE_BYTES", "MAX_PARTS"]
