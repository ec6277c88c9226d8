"""Named exceptions of the fetch-and-parse layer; kb's CLI turns them into one-line messages."""


class IngestError(Exception):
    """Base class of ingest's errors a user can act on."""


class PolicyError(IngestError):
    """A fetch policy that cannot be used (an invalid allowed network, an unreadable CA file,
    a bad URL rules file): a configuration error of whoever built it."""


class FetchError(IngestError):
    """A fetch failed; `status` is one of the article/source status values."""

    def __init__(self, status: str, reason: str, http_status: int | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.http_status = http_status
