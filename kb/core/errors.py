"""Named exceptions raised by library code; the CLI turns them into messages.

The fetch-and-parse layer has its own (ingest.exceptions: FetchError, PolicyError).
"""


class KBError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(KBError):
    """A sources, topics or settings file is missing or invalid."""


class DatabaseError(KBError):
    """The database cannot be opened or written (read-only, locked, corrupt)."""


class NoDatabase(DatabaseError):
    """The database file does not exist, and the command does not create one."""


class LockHeld(KBError):
    """Another ingest run holds the lock."""


class NotFound(KBError):
    """A named source, story, entity or article does not exist."""


class SchemaOutdated(DatabaseError):
    """The database was opened read-only but its schema needs migrating."""
