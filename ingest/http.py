"""The project's own HTTP client: bounded, deadline-enforced fetches that refuse private addresses."""

from __future__ import annotations

import codecs
import email.utils
import functools
import http.client
import ipaddress
import logging
import mimetypes
import re
import socket
import ssl
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from kb.core.errors import ConfigError, FetchError

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
SNIFF_BYTES = 4096
# Characters left alone when quoting a request target: everything already legal in a URL.
TARGET_SAFE = "/%:@!$&'()*+,;=?~"
# Extensions mimetypes does not know on every system.
EXTRA_TYPES = {".rss": "application/rss+xml", ".atom": "application/atom+xml", ".json": "application/json"}
# Codecs that decode bytes to text but are no web charset (and some are dangerous to honour).
REFUSED_CHARSETS = frozenset({"utf-7", "idna", "punycode", "unicode-escape", "raw-unicode-escape",
                              "undefined", "mbcs", "oem", "charmap"})
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
GZIP_MAGIC = b"\x1f\x8b\x08"
LATIN1_ALIASES = frozenset({"iso8859-1", "ascii", "latin-1"})


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
        for name in _decoding_order(self.charset):
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


# --- addresses -------------------------------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` must not be fetched ("loopback", "private", ...), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_problem(ip.ipv4_mapped)
        if ip in NAT64_PREFIX:  # 64:ff9b::a.b.c.d reaches a.b.c.d (DNS64 networks use these for every site)
            return address_problem(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            problem = address_problem(embedded)
            if problem:
                return problem
    for kind in ("loopback", "unspecified", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:  # e.g. 100.64.0.0/10 carrier-grade NAT
        return "non-public"
    return None


@functools.lru_cache(maxsize=64)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)
    except ValueError as exc:
        raise ConfigError(f"allow_networks: {exc}") from None


def _check_address(ip: IPAddress, host: str, hop: int, policy: FetchPolicy) -> None:
    if policy.allow_private or any(ip in net for net in _networks(policy.allow_networks)):
        return
    problem = address_problem(ip)
    if problem:
        via = "" if str(ip) == host else f" ({host})"
        prefix = "redirect to " if hop else ""
        raise FetchError("blocked", f"{prefix}{problem} address {ip}{via} refused")


_resolver: ThreadPoolExecutor | None = None
_resolver_lock = threading.Lock()


def _resolve(host: str, port: int, timeout: float) -> list[tuple[int, tuple]]:
    """All (family, sockaddr) for host, with a timeout getaddrinfo itself lacks."""
    global _resolver
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        return [(family, (host, port))]
    with _resolver_lock:
        if _resolver is None:
            _resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="newskb-dns")
    future = _resolver.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=timeout)
    except FutureTimeout:
        raise FetchError("http_error", f"DNS lookup for {host} timed out") from None
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("http_error", f"DNS lookup failed for {host}: {exc}") from None
    return [(family, sockaddr) for family, _, _, _, sockaddr in infos]


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
    addresses = _resolve(host, port, deadline.timeout(policy.connect_timeout))
    for _, sockaddr in addresses:
        _check_address(ipaddress.ip_address(sockaddr[0]), host, hop, policy)
    target = quote(parts.path or "/", safe=TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=TARGET_SAFE)

    watchdog = _Watchdog(deadline)
    opener = functools.partial(_open_socket, addresses, policy, deadline, watchdog)
    if scheme == "https":
        try:
            _tls_context(policy.ca_file)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise ConfigError(f"cannot load CA file {policy.ca_file}: {exc}") from None
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
        return FetchError("http_error", f"timed out waiting for {host} ({policy.read_timeout:g}s without data)")
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
                    charset=guess_charset(body, declared) if body else _charset_name(declared))


def _read_body(resp: http.client.HTTPResponse, headers: dict[str, str], policy: FetchPolicy,
               deadline: _Deadline, truncate: bool = False) -> bytes:
    """Stream the body through the decoder, enforcing the size cap (or cutting there) and the deadline."""
    declared = headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > policy.max_bytes and not truncate:
        raise FetchError("too_large", f"Content-Length {declared} exceeds {policy.max_bytes} bytes")
    decoder = _BodyDecoder(headers.get("content-encoding", ""), policy.max_bytes, truncate)
    while not decoder.full:
        if deadline.expired():
            raise deadline.error()
        chunk = resp.read(CHUNK_SIZE)
        if not chunk:
            break
        decoder.feed(chunk)
    if deadline.expired():
        raise deadline.error()
    if resp.length and not decoder.full:  # http.client returns b"" rather than raising when Content-Length is unmet
        raise http.client.IncompleteRead(b"", resp.length)
    return undo_stray_gzip(decoder.finish(), policy.max_bytes, truncate)


def undo_stray_gzip(body: bytes, cap: int, truncate: bool = False) -> bytes:
    """A body that is itself gzip data with no Content-Encoding saying so (a page compressed
    twice, a sitemap.xml.gz), decompressed here under the same cap as any body.

    Left as it is, trafilatura would decompress it with its own, larger limit (20 MB); a
    body inflating past `cap` fails as too_large, broken gzip data as http_error.
    """
    if not body.startswith(GZIP_MAGIC):
        return body
    decoder = _BodyDecoder("gzip", cap, truncate)
    try:
        decoder.feed(body)
        return decoder.finish()
    except FetchError as exc:
        if exc.status == "too_large":
            raise FetchError("too_large", f"body is gzip data (no Content-Encoding) inflating past {cap} bytes") from None
        raise FetchError(exc.status, f"body is gzip data (no Content-Encoding): {exc.reason}") from None


class _BodyDecoder:
    """Undo Content-Encoding incrementally, never producing more than `cap` bytes (bomb guard).

    Past `cap` it raises too_large, or with `truncate` keeps the first `cap` bytes and sets `full`.
    """

    def __init__(self, encoding: str, cap: int, truncate: bool = False):
        self.encoding = encoding.strip().lower() or "identity"
        if self.encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FetchError("http_error", f"unsupported Content-Encoding {self.encoding!r}")
        self.cap = cap
        self.truncate = truncate
        self.full = False
        self.parts: list[bytes] = []
        self.size = 0
        self.raw_size = 0
        self.pending = b""  # deflate: wait for two bytes to tell zlib-wrapped from raw
        self.zobj = zlib.decompressobj(16 + zlib.MAX_WBITS) if "gzip" in self.encoding else None

    def feed(self, data: bytes) -> None:
        if self.full:
            return
        self.raw_size += len(data)
        if self.raw_size > self.cap and not self.truncate:
            raise FetchError("too_large", f"body exceeds {self.cap} bytes")
        if self.encoding == "identity":
            self._keep(data)
            return
        if self.zobj is None:
            self.pending += data
            if len(self.pending) < 2:
                return
            zlib_wrapped = (self.pending[0] & 0x0F) == 8 and int.from_bytes(self.pending[:2], "big") % 31 == 0
            self.zobj = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
            data, self.pending = self.pending, b""
        try:
            while data:
                self._keep(self.zobj.decompress(data, self.cap - self.size + 1))
                if self.full:
                    return
                if self.zobj.unconsumed_tail:  # only left over when the output limit was hit
                    raise FetchError("too_large", f"decompressed body exceeds {self.cap} bytes")
                data = b""
                if self.zobj.eof and self.zobj.unused_data and "gzip" in self.encoding:
                    data = self.zobj.unused_data  # another gzip member follows
                    self.zobj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        except zlib.error as exc:
            raise FetchError("http_error", f"broken {self.encoding} body: {exc}") from None

    def _keep(self, data: bytes) -> None:
        if self.size + len(data) > self.cap:
            if not self.truncate:
                raise FetchError("too_large", f"body exceeds {self.cap} bytes")
            data, self.full = data[: self.cap - self.size], True
        self.size += len(data)
        self.parts.append(data)

    def finish(self) -> bytes:
        if self.encoding != "identity" and self.raw_size and not self.full:
            if self.zobj is None or self.pending:
                raise FetchError("http_error", f"broken {self.encoding} body: too short")
            try:
                self._keep(self.zobj.flush())
            except zlib.error as exc:
                raise FetchError("http_error", f"broken {self.encoding} body: {exc}") from None
            if not self.zobj.eof:
                raise FetchError("http_error", f"broken {self.encoding} body: truncated")
        return b"".join(self.parts)


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


# --- charsets ---------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
# Matches both <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">.
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)


def parse_content_type(value: str) -> tuple[str, str | None]:
    """Split a Content-Type header into (media type, charset parameter)."""
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").strip() or None
    return media.strip().lower(), charset


def _charset_name(label: str | None) -> str | None:
    """Python's codec name for a charset label, or None if unknown or not a text charset."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except (LookupError, ValueError, TypeError):
        return None
    try:
        b"a".decode(name)
    except LookupError:  # a bytes-to-bytes codec such as base64
        return None
    except UnicodeError:
        pass
    return None if name in REFUSED_CHARSETS else name


def guess_charset(body: bytes, declared: str | None) -> str | None:
    """The body's charset: byte order mark, else the declared one, else the XML or meta declaration."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    name = _charset_name(declared)
    if name:
        return name
    head = body[:SNIFF_BYTES]
    for pattern in (_XML_DECLARATION, _META_CHARSET):
        match = pattern.search(head)
        name = _charset_name(match.group(1).decode("ascii")) if match else None
        if name:
            # A declaration readable as ASCII cannot be UTF-16/32: the HTML spec says read UTF-8.
            return "utf-8" if name.startswith(("utf-16", "utf-32")) else name
    return None


def _decoding_order(charset: str | None) -> list[str]:
    order: list[str] = []
    if charset in LATIN1_ALIASES:
        order.append("cp1252")  # browsers read latin-1 labels as windows-1252 (curly quotes)
    if charset:
        order.append("utf-8-sig" if charset == "utf-8" else charset)
    order.append("utf-8-sig")
    return order
