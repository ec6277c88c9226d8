"""Canonical article URLs, unwrapping of aggregator redirect links, and safe link resolution."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import re
import string
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, unquote_plus, urljoin, urlsplit

from ingest.exceptions import FetchError, PolicyError

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Characters allowed unescaped in a canonical path or query piece (RFC 3986 pchar plus "/" and "?").
PATH_RAW = UNRESERVED | frozenset("!$&'()*+,;=:@/")
QUERY_RAW = PATH_RAW | frozenset("?")
HEX = frozenset(string.hexdigits)
HOST_PATTERN = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
AMP_CACHE_SUFFIX = ".cdn.ampproject.org"
# Characters browsers drop anywhere in a URL, and those they trim from its ends.
DROPPED_CHARS = re.compile(r"[\t\r\n]")
TRIMMED_CHARS = "".join(chr(c) for c in range(0x21))


@dataclass(frozen=True)
class UrlRules:
    """The editable canonicalisation rules of a url_rules.toml file (load_url_rules)."""

    tracking_names: frozenset[str]
    tracking_prefixes: tuple[str, ...]
    tracking_values: dict[str, frozenset[str]]
    mobile_prefixes: tuple[str, ...]
    main_host_prefix: str
    amp_params: dict[str, frozenset[str]]
    index_pages: frozenset[str]

    def drops_param(self, name: str, value: str) -> bool:
        """True if a query parameter only tracks clicks or switches on the AMP edition."""
        if name in self.tracking_names or name.startswith(self.tracking_prefixes):
            return True
        value = value.lower()
        return value in self.tracking_values.get(name, ()) or value in self.amp_params.get(name, ())


def _lowered(values) -> frozenset[str]:
    return frozenset(str(v).lower() for v in values)


def load_url_rules(path: Path) -> UrlRules:
    """Read the canonicalisation rules from a url_rules.toml file; PolicyError naming the file
    when it is missing or not TOML."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise PolicyError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: invalid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read: {exc}") from exc
    try:
        tracking, mobile = data.get("tracking", {}), data.get("mobile", {})
        return UrlRules(
            tracking_names=_lowered(tracking.get("names", [])),
            tracking_prefixes=tuple(p.lower() for p in tracking.get("prefixes", [])),
            tracking_values={k.lower(): _lowered(v) for k, v in tracking.get("values", {}).items()},
            mobile_prefixes=tuple(p.lower() for p in mobile.get("host_prefixes", [])),
            main_host_prefix=str(mobile.get("main_host_prefix", "www.")),
            amp_params={k.lower(): _lowered(v) for k, v in mobile.get("amp_params", {}).items()},
            index_pages=_lowered(data.get("index_pages", {}).get("names", [])),
        )
    except (AttributeError, TypeError) as exc:  # a table given as a value, a list as a string
        raise PolicyError(f"{path}: invalid URL rules ({exc})") from None


# --- canonical URLs ---------------------------------------------------------------------------

def canonicalize_url(url: str, rules: UrlRules, base: str | None = None) -> str:
    """The canonical form of an http(s) article URL; raises ValueError for anything else.

    Lower-cases scheme and host, IDNA-encodes the host, drops userinfo, default port,
    fragment, tracking parameters and AMP/mobile markers, sorts the query and normalises
    percent-encoding and the path. Idempotent. file:// URLs only get their escapes normalised.
    """
    url = DROPPED_CHARS.sub("", url).strip(TRIMMED_CHARS)
    if base:
        url = urljoin(DROPPED_CHARS.sub("", base).strip(TRIMMED_CHARS), url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        query = "?" + _normalize_escapes(parts.query, QUERY_RAW) if parts.query else ""
        path = parts.path if parts.path.startswith("/") else "/" + parts.path
        return f"file://{parts.netloc.lower()}{_normalize_escapes(path, PATH_RAW)}{query}"
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url[:200]!r}")
    host = _canonical_host(parts.hostname or "")
    if host.endswith(AMP_CACHE_SUFFIX):
        inner = _amp_cache_target(parts.path, parts.query)
        if inner:
            return canonicalize_url(inner, rules)
    host = _main_host(host, rules)
    port = parts.port  # raises ValueError for a bad port
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = _canonical_query(parts.query, rules)
    return f"{scheme}://{netloc}{_canonical_path(parts.path, rules)}{'?' + query if query else ''}"


def _canonical_host(hostname: str) -> str:
    if ":" in hostname:
        return f"[{ipaddress.IPv6Address(hostname).compressed}]"
    host = unquote(hostname).lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise ValueError(f"invalid host name {hostname[:100]!r}") from None
    if not HOST_PATTERN.match(host):
        raise ValueError(f"invalid host name {hostname[:100]!r}")
    return host


def _main_host(host: str, rules: UrlRules) -> str:
    """`m.example.com` and `amp.example.com` are editions of `www.example.com`."""
    for prefix in rules.mobile_prefixes:
        rest = host[len(prefix):]
        if host.startswith(prefix) and "." in rest and not rest.startswith(rules.main_host_prefix):
            return rules.main_host_prefix + rest
    return host


def _amp_cache_target(path: str, query: str) -> str | None:
    """Google AMP cache: /c/s/example.com/a (https) or /c/example.com/a (http) -> the origin URL."""
    match = re.match(r"^/[cvi]/(s/)?([^/]+)(/.*)?$", path)
    if not match:
        return None
    scheme = "https" if match.group(1) else "http"
    return f"{scheme}://{match.group(2)}{match.group(3) or '/'}{'?' + query if query else ''}"


def _normalize_escapes(text: str, raw_ok: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case other escapes, escape the rest."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%" and i + 2 < len(text) and text[i + 1] in HEX and text[i + 2] in HEX:
            decoded = chr(int(text[i + 1:i + 3], 16))
            out.append(decoded if decoded in UNRESERVED else "%" + text[i + 1:i + 3].upper())
            i += 3
            continue
        if char in raw_ok:
            out.append(char)
        else:
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass")))
        i += 1
    return "".join(out)


def _canonical_path(path: str, rules: UrlRules) -> str:
    path = re.sub(r";jsessionid=[^/]*", "", path, flags=re.I)
    path = _normalize_escapes(path, PATH_RAW)
    path = re.sub(r"/{2,}", "/", path)
    segments: list[str] = []
    parts = path.split("/")[1:] if path.startswith("/") else path.split("/")
    for i, segment in enumerate(parts):
        if segment in (".", ".."):
            if segment == ".." and segments:
                segments.pop()
            if i == len(parts) - 1:
                segments.append("")
        elif segment != "amp":  # "/amp/story", "/story/amp": the AMP edition of "/story"
            segments.append(segment)
    if segments and segments[-1].endswith(".amp.html"):
        segments[-1] = segments[-1][: -len(".amp.html")] + ".html"
    if segments and segments[-1].lower() in rules.index_pages:
        segments[-1] = ""
    return "/" + "/".join(segments)


def _canonical_query(query: str, rules: UrlRules) -> str:
    kept: list[tuple[str, str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        name = _normalize_escapes(name, QUERY_RAW)
        value = _normalize_escapes(value, QUERY_RAW)
        if rules.drops_param(unquote_plus(name).lower(), unquote_plus(value)):
            continue
        kept.append((name, sep, value))
    return "&".join("".join(p) for p in sorted(kept))


# --- aggregator links -------------------------------------------------------------------------

def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)
    except (ValueError, AttributeError):
        return False


def unwrap_redirect_link(url: str) -> str:
    """The article URL hidden in a news-search or social redirect link, else `url` unchanged.

    Feed-proxy links (feedburner, feedproxy) hold no target: the fetcher follows them.
    """
    current = url
    for _ in range(3):  # a wrapped link may itself be wrapped
        target = _unwrap_once(current)
        if not target or target == current or not is_http_url(target):
            break
        current = target.strip()
    return current


def _first(params: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if params.get(name):
            return params[name][0]
    return None


def _unwrap_once(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    params = parse_qs(parts.query)
    path = parts.path
    if host == "bing.com" or host.endswith(".bing.com"):
        if path.lower().endswith("/apiclick.aspx"):
            return _first(params, "url")
        encoded = _first(params, "u")
        if path.startswith("/ck/a") and encoded and encoded.startswith("a1"):
            return _b64_text(encoded[2:])
    if re.match(r"^(www\.)?google(\.[a-z]{2,3}){1,2}$", host) and path == "/url":
        return _first(params, "q", "url")
    if host == "news.google.com":
        match = re.search(r"/articles/([A-Za-z0-9_-]+)", path)
        return _google_news_target(match.group(1)) if match else None
    if host.endswith("yahoo.com"):
        match = re.search(r"/RU=([^/]+)/R[KS]=", url)
        return unquote(match.group(1)) if match else None
    facebook = ("l.facebook.com", "lm.facebook.com", "www.facebook.com", "m.facebook.com")
    if host in facebook and path == "/l.php":
        return _first(params, "u")
    if (host == "duckduckgo.com" or host.endswith(".duckduckgo.com")) and path in ("/l/", "/l"):
        return _first(params, "uddg")
    return None


def _b64_text(encoded: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _google_news_target(article_id: str) -> str | None:
    """Old Google News ids are base64 protobuf with the URL in clear; newer ones are opaque."""
    try:
        raw = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (ValueError, binascii.Error):
        return None
    for text in _protobuf_strings(raw):
        if is_http_url(text):
            return text
    return None


def _protobuf_strings(data: bytes) -> Iterator[str]:
    """UTF-8 strings of the length-delimited fields of a protobuf message (stops at garbage)."""

    def varint(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = data[pos]  # IndexError on truncation ends the walk
            value |= (byte & 0x7F) << shift
            pos += 1
            if not byte & 0x80:
                return value, pos
            shift += 7

    pos = 0
    try:
        while pos < len(data):
            key, pos = varint(pos)
            wire = key & 7
            if wire == 0:
                _, pos = varint(pos)
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            elif wire == 2:
                length, pos = varint(pos)
                chunk, pos = data[pos:pos + length], pos + length
                try:
                    yield chunk.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            else:
                return
    except IndexError:
        return


# --- sites and links --------------------------------------------------------------------------

def _site_host(url: str, rules: UrlRules) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    for prefix in (rules.main_host_prefix, *rules.mobile_prefixes):
        if host.startswith(prefix) and "." in host[len(prefix):]:
            return host[len(prefix):]
    return host


def same_site(a: str, b: str, rules: UrlRules) -> bool:
    """True if both URLs are on the same host, ignoring the rules' www./m./amp./mobile. prefixes."""
    host_a = _site_host(a, rules)
    return host_a is not None and host_a == _site_host(b, rules)


def resolve_link(link: str, feed_url: str, *, allow_local_root: str | None) -> str:
    """Resolve a link found in a feed against the feed URL; refuse schemes a feed may not point to.

    file:// links are allowed only when the feed itself is a local file and the link stays
    inside `allow_local_root` (symlinks resolved).
    """
    link = DROPPED_CHARS.sub("", link or "").strip(TRIMMED_CHARS)
    if not link:
        raise FetchError("blocked", "empty link")
    try:
        resolved = urljoin(feed_url, link)
        parts = urlsplit(resolved)
    except ValueError as exc:
        raise FetchError("blocked", f"invalid link {link[:200]!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme in DEFAULT_PORTS:
        if not is_http_url(resolved):
            raise FetchError("blocked", f"link without a host: {link[:200]!r}")
        return resolved
    if scheme != "file":
        raise FetchError("blocked", f"{scheme or 'relative'} link refused: {link[:200]!r}")
    feed_scheme = urlsplit(feed_url).scheme.lower()
    if feed_scheme != "file" or allow_local_root is None:
        raise FetchError("blocked", f"file:// link in a web feed refused: {link[:200]!r}")
    if parts.netloc not in ("", "localhost"):
        raise FetchError("blocked", f"file:// link with a remote host refused: {link[:200]!r}")
    try:
        root = Path(allow_local_root).resolve()
        target = Path(unquote(parts.path)).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise FetchError("blocked", f"invalid file link {link[:200]!r}: {exc}") from None
    if not target.is_relative_to(root):
        raise FetchError("blocked", f"file link outside {root} refused: {link[:200]!r}")
    return resolved
