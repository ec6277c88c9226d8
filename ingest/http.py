"""The project's own HTTP client: bounded, deadline-enforced fetches that refuse private addresses.

Which addresses may be reached is ingest.addresses; how a body is decoded, ingest.decoding.
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import ipaddress
import logging
import mimetypes
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from ingest.addresses import check_address, resolve_host
from ingest.decoding import (
    BodyDecoder,
    charset_name,
    decoding_order,
    guess_charset,
    parse_content_type,
    undo_stray_gzip,
)
from ingest.exceptions import FetchError, PolicyError

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left alone when quoting a request target: everything already legal in a URL.
TARGET_SAFE = "/%:@!$&'()*+,;=?~"
# Extensions mimetypes does not know on every system.
EXTRA_TYPES = {".rss": "application/rss+xml", ".atom": "application/atom+xml", ".json": "application/json"}


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and permissions for one fetch (timeouts in seconds)."""

    user_agent: str = "newskb/0.1 (+https://github.com/newskb/newskb)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    allow_private: bool = False
    allow_file_root: str | None = None
    # Networks (CIDR strings) allowed even when allow_private is False, e.g. one intranet feed host.
    allow_networks: tuple[str, ...] = field(default=())
    # Extra CA certificates (PEM file) to trust besides the system store, e.g. an intranet CA.
    ca_file: str | None = None


@dataclass
class Response:
    """A fetched resource: final URL, status, lower-cased headers and the decoded body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str
    charset: str | None
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def text(self) -> str:
        """The body as text: declared/sniffed charset, then UTF-8, then cp1252 (never raises)."""
        for name in decoding_order(self.charset):
            try:
                return self.body.decode(name)
            except (UnicodeError, LookupError, ValueError, TypeError):
                continue
        return self.body.decode("cp1252", errors="replace")


DEFAULT_POLICY = FetchPolicy()


def fetch(url: str, *, policy: FetchPolicy = DEFAULT_POLICY, etag: str | None = None,
          last_modified: str | None = None, accept: str | None = None, truncate: bool = False) -> Response:
    """GET `url` under `policy`, following redirects; raise FetchError on any failure.

    `Response.redirects` lists the URLs that answered with a redirect, in order, so
    `[*response.redirects, response.url]` is the whole path taken. With `truncate`, a body
    over `policy.max_bytes` is cut there (the rest is not read) instead of failing as too_large.
    """
    url = url.strip()
    deadline = _Deadline(policy.total_timeout)
    if _scheme(url) == "file":
        return _fetch_file(url, policy, etag, last_modified, truncate)
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": accept or "*/*",
        "Accept-Encoding": "gzip, deflate",
        "Connection": "close",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    redirects: list[str] = []
    current = url
    while True:
        hop = len(redirects)
        response, location = _fetch_one(current, hop, headers, policy, deadline, truncate)
        if location is None:
            response.redirects = redirects
            return response
        redirects.append(current)
        if location in redirects:
            raise FetchError("http_error", f"redirect loop at {location}")
        if len(redirects) > policy.max_redirects:
            raise FetchError("http_error", f"too many redirects (more than {policy.max_redirects})")
        current = location


# --- deadline ---------------------------------------------------------------------------------

class _Deadline:
    """Wall-clock budget for a whole fetch, redirects included."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def timeout(self, per_operation: float) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.error()
        return min(per_operation, left)

    def error(self) -> FetchError:
        return FetchError("http_error", f"timed out after {self.seconds:g}s")


class _Watchdog:
    """Shuts a connection down when the deadline passes, whatever it is blocked in (slow drip)."""

    def __init__(self, deadline: _Deadline):
        self._lock = threading.Lock()
        self._guard: socket.socket | None = None
        self._timer = threading.Timer(max(0.0, deadline.end - time.monotonic()), self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        # A duplicate descriptor we alone close, so firing late can never hit a reused descriptor.
        with self._lock:
            self._guard = sock.dup()
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._guard is not None:
                try:
                    self._guard.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            if self._guard is not None:
                self._guard.close()
                self._guard = None


def _open_socket(addresses: list[tuple[int, tuple]], policy: FetchPolicy, deadline: _Deadline,
                 watchdog: _Watchdog) -> socket.socket:
    """Connect to the first reachable already-checked address (no second DNS lookup)."""
    last_error: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.timeout(policy.connect_timeout))
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        watchdog.watch(sock)
        return sock
    raise last_error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked IP while Host carries the name."""

    def __init__(self, host: str, port: int, opener):
        super().__init__(host, port)
        self._opener = opener

    def connect(self) -> None:
        self.sock = self._opener()


@functools.lru_cache(maxsize=8)
def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying context per CA setting (loading the CA store is slow; wrapping is thread-safe)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked IP while Host and SNI carry the name."""

    def __init__(self, host: str, port: int, opener, ca_file: str | None = None):
        super().__init__(host, port, context=_tls_context(ca_file))
        self._opener = opener

    def connect(self) -> None:
        self.sock = self._context.wrap_socket(self._opener(), server_hostname=self.host)


# --- one request ------------------------------------------------------------------------------

def _scheme(url: str) -> str:
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""


def _fetch_one(url: str, hop: int, headers: dict[str, str], policy: FetchPolicy,
               deadline: _Deadline, truncate: bool = False) -> tuple[Response, str | None]:
    """One request: the response, plus the next URL if it is a redirect."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        port = parts.port
        host = parts.hostname or ""
    except ValueError as exc:
        raise FetchError("http_error", f"invalid URL {url!r}: {exc}") from None
    if scheme not in DEFAULT_PORTS:
        where = "redirect to " if hop else ""
        raise FetchError("blocked", f"{where}{scheme or 'scheme-less'} URL refused: {url[:200]}")
    if not host:
        raise FetchError("http_error", f"invalid URL {url!r}: no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise FetchError("http_error", f"invalid host name in {url!r}") from None
    port = port or DEFAULT_PORTS[scheme]
    addresses = resolve_host(host, port, deadline.timeout(policy.connect_timeout))
    for _, sockaddr in addresses:
        check_address(ipaddress.ip_address(sockaddr[0]), host, hop, allow_private=policy.allow_private,
                      allow_networks=policy.allow_networks)
    target = quote(parts.path or "/", safe=TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=TARGET_SAFE)

    watchdog = _Watchdog(deadline)
    opener = functools.partial(_open_socket, addresses, policy, deadline, watchdog)
    if scheme == "https":
        try:
            _tls_context(policy.ca_file)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise PolicyError(f"cannot load CA file {policy.ca_file}: {exc}") from None
        conn: http.client.HTTPConnection = _PinnedHTTPSConnection(host, port, opener, policy.ca_file)
    else:
        conn = _PinnedHTTPConnection(host, port, opener)
    try:
        conn.connect()
        conn.sock.settimeout(deadline.timeout(policy.read_timeout))
        conn.request("GET", target, headers=headers)
        resp = conn.getresponse()
        status = resp.status
        resp_headers = _header_dict(resp.msg.items())
        if status in REDIRECT_STATUSES:
            location = resp_headers.get("location")
            if not location:
                raise FetchError("http_error", f"HTTP {status} without a Location header", status)
            return _response(url, status, resp_headers, b""), urljoin(url, location.strip())
        if status == 304:
            return _response(url, status, resp_headers, b""), None
        if status >= 400 or status < 200:
            raise FetchError("http_error", f"HTTP {status} {resp.reason}".strip(), status)
        if 300 <= status < 400:
            raise FetchError("http_error", f"HTTP {status} {resp.reason} (not a redirect we follow)", status)
        body = _read_body(resp, resp_headers, policy, deadline, truncate)
        return _response(url, status, resp_headers, body), None
    except FetchError:
        raise
    except Exception as exc:  # noqa: BLE001 - every network failure becomes one FetchError
        raise _network_error(exc, host, policy, deadline) from None
    finally:
        watchdog.close()
        conn.close()


def _network_error(exc: Exception, host: str, policy: FetchPolicy, deadline: _Deadline) -> FetchError:
    """Name a low-level failure in a short human message."""
    if deadline.expired():
        return deadline.error()
    if isinstance(exc, TimeoutError):
        return FetchError("http_error",
                          f"timed out waiting for {host} ({policy.read_timeout:g}s without data)")
    if isinstance(exc, http.client.RemoteDisconnected):
        return FetchError("http_error", f"{host} closed the connection without a response")
    if isinstance(exc, ConnectionRefusedError):
        return FetchError("http_error", f"connection refused by {host}")
    if isinstance(exc, ConnectionResetError):
        return FetchError("http_error", f"connection reset by {host}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FetchError("http_error", f"TLS certificate not valid for {host}: {exc.verify_message}")
    if isinstance(exc, ssl.SSLError):
        return FetchError("http_error", f"TLS error with {host}: {exc.reason or exc}")
    if isinstance(exc, http.client.IncompleteRead):
        return FetchError("http_error", f"body from {host} truncated")
    if isinstance(exc, http.client.HTTPException):
        return FetchError("http_error", f"bad HTTP response from {host} ({type(exc).__name__})")
    if isinstance(exc, OSError):
        return FetchError("http_error", f"network error with {host}: {exc.strerror or exc}")
    log.debug("unexpected fetch failure", exc_info=exc)
    return FetchError("http_error", f"fetch from {host} failed: {type(exc).__name__}: {exc}")


def _header_dict(items) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _response(url: str, status: int, headers: dict[str, str], body: bytes) -> Response:
    content_type, declared = parse_content_type(headers.get("content-type", ""))
    return Response(url=url, status=status, headers=headers, body=body, content_type=content_type,
                    charset=guess_charset(body, declared) if body else charset_name(declared))


def _read_body(resp: http.client.HTTPResponse, headers: dict[str, str], policy: FetchPolicy,
               deadline: _Deadline, truncate: bool = False) -> bytes:
    """Stream the body through the decoder, enforcing the size cap (or cutting there) and the deadline."""
    declared = headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > policy.max_bytes and not truncate:
        raise FetchError("too_large", f"Content-Length {declared} exceeds {policy.max_bytes} bytes")
    decoder = BodyDecoder(headers.get("content-encoding", ""), policy.max_bytes, truncate)
    while not decoder.full:
        if deadline.expired():
            raise deadline.error()
        chunk = resp.read(CHUNK_SIZE)
        if not chunk:
            break
        decoder.feed(chunk)
    if deadline.expired():
        raise deadline.error()
    # http.client returns b"" rather than raising when Content-Length is unmet
    if resp.length and not decoder.full:
        raise http.client.IncompleteRead(b"", resp.length)
    return undo_stray_gzip(decoder.finish(), policy.max_bytes, truncate)


# --- file:// ---------------------------------------------------------------------------------

def _fetch_file(url: str, policy: FetchPolicy, etag: str | None, last_modified: str | None,
                truncate: bool = False) -> Response:
    """Read a local file, only inside policy.allow_file_root."""
    if policy.allow_file_root is None:
        raise FetchError("blocked", f"file:// URLs are not allowed: {url[:200]}")
    parts = urlsplit(url.strip())
    if parts.netloc not in ("", "localhost"):
        raise FetchError("blocked", f"file:// URL with a remote host refused: {url[:200]}")
    try:
        root = Path(policy.allow_file_root).resolve()
        target = Path(unquote(parts.path)).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise FetchError("http_error", f"cannot read {url[:200]}: {exc}") from None
    if not target.is_relative_to(root):
        raise FetchError("blocked", f"{target} is outside the allowed directory {root}")
    try:
        stat = target.stat()
        if not target.is_file():
            raise FetchError("http_error", f"{target} is not a regular file")
        if stat.st_size > policy.max_bytes and not truncate:
            raise FetchError("too_large", f"{target} is {stat.st_size} bytes, over {policy.max_bytes}")
        file_etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        file_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        headers = {"etag": file_etag, "last-modified": file_modified}
        if (etag and etag == file_etag) or (not etag and last_modified and last_modified == file_modified):
            return Response(url=url, status=304, headers=headers, body=b"", content_type="", charset=None)
        with target.open("rb") as fh:
            body = fh.read(policy.max_bytes + 1)
    except OSError as exc:
        raise FetchError("http_error", f"cannot read {target}: {exc.strerror or exc}") from None
    if len(body) > policy.max_bytes:
        if not truncate:
            raise FetchError("too_large", f"body exceeds {policy.max_bytes} bytes")
        body = body[: policy.max_bytes]
    body = undo_stray_gzip(body, policy.max_bytes, truncate)
    content_type = EXTRA_TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] or ""
    headers["content-type"] = content_type
    return Response(url=url, status=200, headers=headers, body=body, content_type=content_type,
                    charset=guess_charset(body, None))
