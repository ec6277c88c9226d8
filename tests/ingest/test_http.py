"""The HTTP client against a real loopback server: decoding, conditional GETs, redirects and every guard."""

from __future__ import annotations

import gzip
import io
import ipaddress
import os
import socket
import ssl
import struct
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
import trustme
from hypothesis import given
from hypothesis import strategies as st

from ingest.addresses import address_problem
from ingest.decoding import guess_charset
from ingest.exceptions import FetchError, PolicyError
from ingest.http import FetchPolicy, Response, fetch
from tests.loopback import LoopbackServer, respond

LOCAL = FetchPolicy(allow_private=True)
MB = 1 << 20



def fetch_error(url: str, policy: FetchPolicy = LOCAL, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, policy=policy, **kwargs)
    return info.value


def start_response(handler, status: int = 200, headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()


def gzip_bomb(blocks: int):
    """Yield a gzip stream of `blocks` MiB of zeros, about 1 KiB per MiB, without holding it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)  # same bytes each time
    yield first[:10]  # gzip header
    crc = 0
    for _ in range(blocks):
        yield block
        crc = zlib.crc32(zeros, crc)
    yield b"\x03\x00" + struct.pack("<II", crc, (blocks * MB) & 0xFFFFFFFF)


def test_gzip_bomb_helper_is_a_valid_gzip_stream():
    assert gzip.decompress(b"".join(gzip_bomb(3))) == bytes(3 * MB)


# --- success paths ----------------------------------------------------------------------------

def test_gzip_body_is_decoded_and_request_headers_sent(loopback):
    page = "<html><body>Microsoft and OpenAI — héllo</body></html>"

    @loopback.route("/gz")
    def gz(handler):
        respond(handler, 200, gzip.compress(page.encode("utf-8")),
                headers={"Content-Encoding": "gzip", "ETag": '"abc"'})

    response = fetch(loopback.url("/gz"), policy=LOCAL, accept="text/html")
    assert response.status == 200
    assert response.text() == page
    assert response.content_type == "text/html"
    assert response.charset == "utf-8"
    assert response.etag == '"abc"'
    assert response.redirects == []
    sent = loopback.requests[-1][2]
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert sent["User-Agent"].startswith("newskb/")
    assert sent["Accept"] == "text/html"
    assert sent["Host"] == f"127.0.0.1:{loopback.port}"


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_body_is_decoded_in_both_wrappings(loopback, wbits):
    text = "deflated " * 500

    @loopback.route("/deflate")
    def deflated(handler):
        compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
        body = compressor.compress(text.encode()) + compressor.flush()
        respond(handler, 200, body, "text/plain; charset=utf-8", {"Content-Encoding": "deflate"})

    assert fetch(loopback.url("/deflate"), policy=LOCAL).text() == text


def test_chunked_transfer_encoding(loopback):
    parts = [b"first part, ", b"second part, ", b"x" * 70000]

    @loopback.route("/chunked")
    def chunked(handler):
        start_response(handler, 200, {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"})
        for part in parts:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        handler.wfile.write(b"0\r\n\r\n")

    assert fetch(loopback.url("/chunked"), policy=LOCAL).body == b"".join(parts)


def test_localhost_name_connects_with_its_host_header(loopback):
    @loopback.route("/named")
    def named(handler):
        respond(handler, 200, "ok")

    response = fetch(f"http://localhost:{loopback.port}/named", policy=LOCAL)
    assert response.body == b"ok"
    assert loopback.requests[-1][2]["Host"] == f"localhost:{loopback.port}"


def test_path_with_spaces_and_non_ascii_is_quoted(loopback):
    @loopback.route("/a%20b/%C3%A9t%C3%A9")
    def quoted(handler):
        respond(handler, 200, "quoted")

    assert fetch(loopback.url("/a b/été"), policy=LOCAL).body == b"quoted"


# --- charsets ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("content_type", "body", "charset", "text"),
    [
        ("text/html; charset=ISO-8859-1", "<p>café</p>".encode("latin-1"), "iso8859-1", "<p>café</p>"),
        ("text/html", b'<head><meta charset="windows-1252"></head>' + "€ “q”".encode("cp1252"),
         "cp1252", '<head><meta charset="windows-1252"></head>€ “q”'),
        ("text/html", b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
         + "Привет".encode("koi8-r"), "koi8-r", None),
        ("application/xml", b'<?xml version="1.0" encoding="ISO-8859-15"?><rss>' + "€".encode("iso-8859-15")
         + b"</rss>", "iso8859-15", '<?xml version="1.0" encoding="ISO-8859-15"?><rss>€</rss>'),
        # A byte order mark beats a wrong declaration.
        ("text/html; charset=iso-8859-1", "<p>héllo</p>".encode("utf-16"), "utf-16", "<p>héllo</p>"),
        ("text/html; charset=utf-8", b"\xef\xbb\xbf<p>\xc3\xa9</p>", "utf-8", "<p>é</p>"),
        # An unknown declared label is ignored in favour of the document's own declaration.
        ("text/html; charset=x-no-such-charset", b'<meta charset="utf-8"><p>\xc3\xa9</p>', "utf-8", None),
        # A bytes-to-bytes codec name is no charset.
        ("text/plain; charset=base64", b"plain", None, "plain"),
    ],
    ids=["header", "meta", "http-equiv", "xml-declaration", "bom-over-header", "utf8-bom",
         "unknown-label", "base64-label"],
)
def test_charset_detection(loopback, content_type, body, charset, text):
    @loopback.route("/charset")
    def page(handler):
        respond(handler, 200, body, content_type)

    response = fetch(loopback.url("/charset"), policy=LOCAL)
    assert response.charset == charset
    if text is not None:
        assert response.text() == text
    if charset == "koi8-r":
        assert "Привет" in response.text()


def test_wrongly_declared_utf8_falls_back_without_raising(loopback):
    @loopback.route("/wrong")
    def wrong(handler):
        respond(handler, 200, "naïve “quotes”".encode("cp1252"), "text/html; charset=utf-8")

    response = fetch(loopback.url("/wrong"), policy=LOCAL)
    assert response.charset == "utf-8"
    assert response.text() == "naïve “quotes”"


@given(body=st.binary(max_size=200),
       charset=st.sampled_from([None, "utf-8", "utf-16", "utf-32", "cp1252", "iso8859-1", "shift_jis",
                                "koi8-r", "ascii", "no-such-codec", "base64", "rot13"]))
def test_text_never_raises(body, charset):
    response = Response(url="http://example.com/", status=200, headers={}, body=body,
                        content_type="text/html", charset=charset)
    assert isinstance(response.text(), str)


def test_guess_charset_prefers_bom_then_declared_then_document():
    assert guess_charset(b"\xff\xfe<\x00", "utf-8") == "utf-16"
    assert guess_charset(b'<meta charset="koi8-r">', "latin-1") == "iso8859-1"
    assert guess_charset(b'<meta charset="koi8-r">', None) == "koi8-r"
    assert guess_charset(b'<meta charset="utf-16">', None) == "utf-8"  # readable as ASCII: not UTF-16
    assert guess_charset(b"<p>no declaration</p>", None) is None
    assert guess_charset(b"<p>x</p>", "utf-7") is None


# --- conditional GET and errors ---------------------------------------------------------------

def test_304_sends_conditional_headers(loopback):
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    @loopback.route("/feed")
    def feed(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            start_response(handler, 304, {"ETag": '"v1"', "Content-Length": "0"})
            return
        respond(handler, 200, "<rss/>", "application/rss+xml", {"ETag": '"v1"', "Last-Modified": stamp})

    first = fetch(loopback.url("/feed"), policy=LOCAL)
    assert (first.status, first.etag, first.last_modified, first.not_modified) == (200, '"v1"', stamp, False)
    again = fetch(loopback.url("/feed"), policy=LOCAL, etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.status == 304 and again.body == b""
    sent = loopback.requests[-1][2]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == stamp
    assert "If-None-Match" not in loopback.requests[0][2]


@pytest.mark.parametrize(("status", "reason"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error"),
                                                (410, "HTTP 410 Gone")])
def test_http_error_statuses(loopback, status, reason):
    @loopback.route("/err")
    def err(handler):
        respond(handler, status, "nope")

    error = fetch_error(loopback.url("/err"))
    assert (error.status, error.http_status, error.reason) == ("http_error", status, reason)


def test_connection_refused():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    error = fetch_error(f"http://127.0.0.1:{port}/")
    assert error.status == "http_error" and "refused" in error.reason


def test_dns_failure_is_http_error():
    error = fetch_error("http://no-such-host.invalid/", FetchPolicy())
    assert error.status == "http_error" and "DNS" in error.reason


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A loopback HTTPS server with a certificate for "localhost" from a throwaway CA."""
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = LoopbackServer()
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.routes["/secure"] = lambda h: respond(h, 200, "over tls")
    with server:
        yield server, str(ca_file), server_names


def test_https_pins_the_checked_address_but_verifies_and_names_the_host(tls_server):
    server, ca_file, server_names = tls_server
    response = fetch(f"https://localhost:{server.port}/secure",
                     policy=FetchPolicy(allow_private=True, ca_file=ca_file))
    assert response.body == b"over tls"
    assert server_names[-1] == "localhost"  # SNI carries the name, not the IP connected to
    assert server.requests[-1][2]["Host"] == f"localhost:{server.port}"


def test_https_certificate_is_checked(tls_server):
    server, ca_file, _ = tls_server
    untrusted = fetch_error(f"https://localhost:{server.port}/secure")
    assert untrusted.status == "http_error" and "certificate" in untrusted.reason
    wrong_name = fetch_error(f"https://127.0.0.1:{server.port}/secure",
                             FetchPolicy(allow_private=True, ca_file=ca_file))
    assert wrong_name.status == "http_error" and "certificate" in wrong_name.reason


def test_bad_allowed_network_is_a_configuration_error():
    with pytest.raises(PolicyError):
        fetch("http://127.0.0.1:9/", policy=FetchPolicy(allow_networks=("10.0.0.0/33",)))


def test_missing_ca_file_is_a_configuration_error(tls_server, tmp_path: Path):
    server, _, _ = tls_server
    with pytest.raises(PolicyError):
        fetch(f"https://localhost:{server.port}/secure",
              policy=FetchPolicy(allow_private=True, ca_file=str(tmp_path / "missing.pem")))


def test_https_to_a_plain_http_server_is_a_tls_error(loopback):
    error = fetch_error(f"https://127.0.0.1:{loopback.port}/")
    assert error.status == "http_error" and "TLS" in error.reason


# --- redirects --------------------------------------------------------------------------------

def test_redirect_chain_is_followed_and_recorded(loopback):
    for source, target in (("/a", "/b"), ("/b", "c")):
        loopback.routes[source] = lambda h, t=target: respond(h, 301, "", headers={"Location": t})
    loopback.routes["/c"] = lambda h: respond(h, 200, "final")

    response = fetch(loopback.url("/a"), policy=LOCAL)
    assert response.body == b"final"
    assert response.url == loopback.url("/c")
    assert response.redirects == [loopback.url("/a"), loopback.url("/b")]


def test_redirect_loop(loopback):
    loopback.routes["/loop1"] = lambda h: respond(h, 302, "", headers={"Location": "/loop2"})
    loopback.routes["/loop2"] = lambda h: respond(h, 302, "", headers={"Location": "/loop1"})
    error = fetch_error(loopback.url("/loop1"))
    assert error.status == "http_error" and "loop" in error.reason


def test_too_many_redirects(loopback):
    for n in range(10):
        loopback.routes[f"/hop{n}"] = lambda h, n=n: respond(h, 307, "", headers={"Location": f"/hop{n + 1}"})
    error = fetch_error(loopback.url("/hop0"), FetchPolicy(allow_private=True, max_redirects=3))
    assert error.status == "http_error" and "too many redirects" in error.reason
    assert loopback.paths_requested() == ["/hop0", "/hop1", "/hop2", "/hop3"]


# --- blocked targets --------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433", "127.1"])
def test_loopback_targets_are_blocked_by_default(loopback, host):
    loopback.routes["/secret"] = lambda h: respond(h, 200, "secret")
    error = fetch_error(f"http://{host}:{loopback.port}/secret", FetchPolicy())
    assert error.status == "blocked" and "loopback address" in error.reason
    assert loopback.requests == []  # refused before connecting


@pytest.mark.parametrize(("target", "reason"), [
    ("http://10.0.0.1/admin", "redirect to private address 10.0.0.1 refused"),
    ("http://169.254.169.254/latest/meta-data/", "redirect to link-local address 169.254.169.254 refused"),
    ("http://[::1]/", "redirect to loopback address ::1 refused"),
    ("file:///etc/passwd", "redirect to file URL refused"),
    ("gopher://example.com/", "redirect to gopher URL refused"),
])
def test_redirect_to_private_or_odd_targets_is_refused(loopback, target, reason):
    # Only the test server's own address is allowed, as a user would allow one intranet feed host.
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), allow_file_root="/")
    loopback.routes["/jump"] = lambda h: respond(h, 302, "", headers={"Location": target})
    error = fetch_error(loopback.url("/jump"), policy)
    assert error.status == "blocked"
    assert error.reason.startswith(reason)


@pytest.mark.parametrize("url", ["ftp://example.com/file", "javascript:alert(1)", "data:text/html,hi",
                                 "gopher://example.com/", "file:///etc/passwd", "example.com/no-scheme"])
def test_non_http_schemes_are_blocked(url):
    assert fetch_error(url, FetchPolicy()).status == "blocked"


@pytest.mark.parametrize(("address", "problem"), [
    ("8.8.8.8", None), ("2606:4700:4700::1111", None), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
    ("192.168.1.1", "private"), ("100.64.0.1", "non-public"), ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"), ("fe80::1", "link-local"), ("fc00::1", "private"),
    ("::ffff:10.0.0.1", "private"), ("2002:7f00:1::", "loopback"), ("64:ff9b::7f00:1", "loopback"),
    ("64:ff9b::808:808", None), ("::ffff:8.8.8.8", None),
])
def test_address_classification(address, problem):
    assert address_problem(ipaddress.ip_address(address)) == problem


# --- size limits ------------------------------------------------------------------------------

def test_gzip_bomb_stops_at_the_cap_without_inflating(loopback):
    @loopback.route("/bomb")
    def bomb(handler):
        start_response(handler, 200, {"Content-Type": "text/html", "Content-Encoding": "gzip",
                                      "Connection": "close"})
        handler.close_connection = True
        for piece in gzip_bomb(1024):  # 1 GiB of zeros, about 1 MiB on the wire
            handler.wfile.write(piece)

    cap = 2_000_000
    tracemalloc.start()
    try:
        error = fetch_error(loopback.url("/bomb"), FetchPolicy(allow_private=True, max_bytes=cap))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.status == "too_large"
    assert str(cap) in error.reason
    assert peak < 20 * MB  # never near the 1 GiB the body would inflate to


def test_declared_content_length_over_cap_is_refused_without_reading(loopback):
    release = threading.Event()

    @loopback.route("/huge")
    def huge(handler):
        start_response(handler, 200, {"Content-Type": "text/html", "Content-Length": "50000000"})
        release.wait(10)  # sends no body: a client that tried to read would hit its deadline

    try:
        error = fetch_error(loopback.url("/huge"), FetchPolicy(allow_private=True, max_bytes=1_000_000,
                                                                total_timeout=5))
    finally:
        release.set()
    assert error.status == "too_large" and "50000000" in error.reason


def test_streamed_body_over_cap(loopback):
    @loopback.route("/stream")
    def stream(handler):
        start_response(handler, 200, {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"})
        for _ in range(5):
            handler.wfile.write(b"%x\r\n%s\r\n" % (MB, b"y" * MB))
        handler.wfile.write(b"0\r\n\r\n")

    error = fetch_error(loopback.url("/stream"), FetchPolicy(allow_private=True, max_bytes=2 * MB))
    assert error.status == "too_large"


# --- broken transfers -------------------------------------------------------------------------

def test_connection_reset_mid_body(loopback):
    @loopback.route("/reset")
    def reset(handler):
        start_response(handler, 200, {"Content-Type": "text/html", "Content-Length": "100000"})
        handler.wfile.write(b"x" * 1000)
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.rfile.close()
        handler.wfile.close()
        handler.connection.close()  # last reference with linger 0: the kernel sends RST
        handler.rfile, handler.wfile = io.BytesIO(), io.BytesIO()  # for the server's own cleanup

    error = fetch_error(loopback.url("/reset"))
    assert error.status == "http_error" and error.http_status is None
    assert "reset" in error.reason or "truncated" in error.reason


def test_body_shorter_than_content_length(loopback):
    @loopback.route("/short")
    def short(handler):
        start_response(handler, 200, {"Content-Type": "text/html", "Content-Length": "1000"})
        handler.wfile.write(b"only ten b")
        handler.close_connection = True

    error = fetch_error(loopback.url("/short"))
    assert error.status == "http_error" and "truncated" in error.reason


def test_truncated_gzip(loopback):
    whole = gzip.compress(os.urandom(4000))

    @loopback.route("/cut")
    def cut(handler):
        respond(handler, 200, whole[: len(whole) // 2], headers={"Content-Encoding": "gzip"})

    error = fetch_error(loopback.url("/cut"))
    assert error.status == "http_error" and "broken gzip" in error.reason


def test_garbage_gzip(loopback):
    loopback.routes["/garbage"] = lambda h: respond(h, 200, b"this is not gzip at all",
                                                    headers={"Content-Encoding": "gzip"})
    error = fetch_error(loopback.url("/garbage"))
    assert error.status == "http_error" and "broken gzip" in error.reason


# --- time limits ------------------------------------------------------------------------------

def test_slow_drip_body_hits_the_total_deadline(loopback):
    @loopback.route("/drip")
    def drip(handler):
        start_response(handler, 200, {"Content-Type": "text/html", "Content-Length": "1000"})
        for _ in range(1000):
            handler.wfile.write(b"x")
            time.sleep(0.2)

    started = time.monotonic()
    error = fetch_error(loopback.url("/drip"), FetchPolicy(allow_private=True, total_timeout=1.5,
                                                            read_timeout=5))
    assert error.status == "http_error" and error.reason == "timed out after 1.5s"
    assert time.monotonic() - started < 4


def test_slow_drip_headers_hit_the_total_deadline(loopback):
    @loopback.route("/drip-headers")
    def drip_headers(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for n in range(1000):
            handler.wfile.write(b"X-Drip-%d: y\r\n" % n)
            time.sleep(0.1)

    error = fetch_error(loopback.url("/drip-headers"), FetchPolicy(allow_private=True, total_timeout=1,
                                                                    read_timeout=5))
    assert error.status == "http_error" and error.reason == "timed out after 1s"


def test_server_that_never_answers_times_out(loopback):
    release = threading.Event()
    loopback.routes["/silent"] = lambda h: release.wait(10)
    try:
        error = fetch_error(loopback.url("/silent"), FetchPolicy(allow_private=True, read_timeout=0.5))
    finally:
        release.set()
    assert error.status == "http_error" and "timed out" in error.reason


# --- file:// ---------------------------------------------------------------------------------

def test_file_url_inside_root(tmp_path: Path):
    page = tmp_path / "site" / "story.html"
    page.parent.mkdir()
    page.write_bytes(b'<meta charset="utf-8"><p>caf\xc3\xa9</p>')
    policy = FetchPolicy(allow_file_root=str(tmp_path / "site"))
    response = fetch(page.as_uri(), policy=policy)
    assert (response.status, response.content_type, response.charset) == (200, "text/html", "utf-8")
    assert "café" in response.text()
    again = fetch(page.as_uri(), policy=policy, etag=response.etag)
    assert again.not_modified


@pytest.mark.parametrize("escape", ["outside", "dotdot", "symlink", "no-root"])
def test_file_url_outside_root_is_blocked(tmp_path: Path, escape):
    root = tmp_path / "site"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (root / "link.txt").symlink_to(secret)
    url = {
        "outside": secret.as_uri(),
        "dotdot": f"file://{root}/../secret.txt",
        "symlink": (root / "link.txt").as_uri(),
        "no-root": (root / "link.txt").as_uri(),
    }[escape]
    policy = FetchPolicy() if escape == "no-root" else FetchPolicy(allow_file_root=str(root))
    assert fetch_error(url, policy).status == "blocked"


def test_file_over_cap_and_missing_file(tmp_path: Path):
    (tmp_path / "big.xml").write_bytes(b"x" * 2000)
    policy = FetchPolicy(allow_file_root=str(tmp_path), max_bytes=1000)
    assert fetch_error((tmp_path / "big.xml").as_uri(), policy).status == "too_large"
    assert fetch_error((tmp_path / "missing.xml").as_uri(), policy).status == "http_error"
