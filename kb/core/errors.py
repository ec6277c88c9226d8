"""Named exceptions raised by library code; the CLI turns them into messages."""


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


class FetchError(KBError):
    """A fetch failed; `status` is one of the article/source status values."""

    def __init__(self, status: str, reason: str, http_status: int | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.http_status = http_status


class NotFound(KBError):
    """A named source, story, entity or article does not exist."""


class SchemaOutdated(DatabaseError):
    """The database was opened read-only but its schema needs migrating."""
