"""Which addresses a fetch may reach (no loopback, private or other non-public ones unless
allowed), and host name resolution with a timeout."""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from ingest.exceptions import FetchError, PolicyError

NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")

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
        raise PolicyError(f"allow_networks: {exc}") from None


def check_address(ip: IPAddress, host: str, hop: int, *, allow_private: bool,
                  allow_networks: tuple[str, ...]) -> None:
    """FetchError("blocked") unless `ip` is public, or allowed (`hop` > 0: reached by a redirect)."""
    if allow_private or any(ip in net for net in _networks(allow_networks)):
        return
    problem = address_problem(ip)
    if problem:
        via = "" if str(ip) == host else f" ({host})"
        prefix = "redirect to " if hop else ""
        raise FetchError("blocked", f"{prefix}{problem} address {ip}{via} refused")


_resolver: ThreadPoolExecutor | None = None
_resolver_lock = threading.Lock()


def resolve_host(host: str, port: int, timeout: float) -> list[tuple[int, tuple]]:
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
