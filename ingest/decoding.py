"""Bodies as sent and as text: Content-Encoding undone under a size cap (bomb guard), stray
gzip data, and the charset a body is read in."""

from __future__ import annotations

import codecs
import re
import zlib

from ingest.exceptions import FetchError

SNIFF_BYTES = 4096
# Codecs that decode bytes to text but are no web charset (and some are dangerous to honour).
REFUSED_CHARSETS = frozenset({"utf-7", "idna", "punycode", "unicode-escape", "raw-unicode-escape",
                              "undefined", "mbcs", "oem", "charmap"})
GZIP_MAGIC = b"\x1f\x8b\x08"
LATIN1_ALIASES = frozenset({"iso8859-1", "ascii", "latin-1"})


def undo_stray_gzip(body: bytes, cap: int, truncate: bool = False) -> bytes:
    """A body that is itself gzip data with no Content-Encoding saying so (a page compressed
    twice, a sitemap.xml.gz), decompressed here under the same cap as any body.

    Left as it is, trafilatura would decompress it with its own, larger limit (20 MB); a
    body inflating past `cap` fails as too_large, broken gzip data as http_error.
    """
    if not body.startswith(GZIP_MAGIC):
        return body
    decoder = BodyDecoder("gzip", cap, truncate)
    try:
        decoder.feed(body)
        return decoder.finish()
    except FetchError as exc:
        if exc.status == "too_large":
            raise FetchError("too_large",
                             f"body is gzip data (no Content-Encoding) inflating past {cap} bytes") from None
        raise FetchError(exc.status, f"body is gzip data (no Content-Encoding): {exc.reason}") from None


class BodyDecoder:
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


def charset_name(label: str | None) -> str | None:
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
    name = charset_name(declared)
    if name:
        return name
    head = body[:SNIFF_BYTES]
    for pattern in (_XML_DECLARATION, _META_CHARSET):
        match = pattern.search(head)
        name = charset_name(match.group(1).decode("ascii")) if match else None
        if name:
            # A declaration readable as ASCII cannot be UTF-16/32: the HTML spec says read UTF-8.
            return "utf-8" if name.startswith(("utf-16", "utf-32")) else name
    return None


def decoding_order(charset: str | None) -> list[str]:
    order: list[str] = []
    if charset in LATIN1_ALIASES:
        order.append("cp1252")  # browsers read latin-1 labels as windows-1252 (curly quotes)
    if charset:
        order.append("utf-8-sig" if charset == "utf-8" else charset)
    order.append("utf-8-sig")
    return order
