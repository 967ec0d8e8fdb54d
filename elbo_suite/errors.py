"""Errors shared by the command line and the report writer (neither imports the other)."""


class UsageError(ValueError):
    """Bad input detected by the command line itself (for example an unwritable --json path)."""
