"""Which fetch may reach which non-public address: `allow_private` and `allow_networks`, scoped
to the sources that need them, and the fetch policies and time budgets built from a sources file.

The HTTP client refuses loopback, private, link-local and other non-public addresses unless
its FetchPolicy allows them. A permission belongs to a source, never to a whole run:

- `allow_private = true` on a `[[source]]` (or `allow_private_addresses = true` at the top of
  the file, for every listed source): the source's feed, and the entries it lists on its
  feed's own host name, may be at private or loopback addresses;
- `allow_networks = [...]` on a `[[source]]`: the source's feed and all its entries may be at
  addresses in those networks; at the top of the file, for every listed source's feed and its
  entries on the feed's host name.

So a link in one feed never reaches an intranet address that another source was allowed.
Pages given on the command line (`kb add`) get the top-level settings, whatever their host.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlsplit

from ingest.http import FetchPolicy, Response, fetch
from ingest.politeness import HOST_BUDGET, RUN_BUDGET
from kb.core.config import SourceConfig, SourcesFile, parse_networks
from kb.core.errors import ConfigError


def fetch_settings(sources_file: SourcesFile | None) -> dict:
    """FetchPolicy fields from the sources file's `fetch_timeout` setting (and a check of its
    `allow_networks`, which AddressAccess applies per source)."""
    if sources_file is None:
        return {}
    settings, found = sources_file.settings, {}
    timeout = settings.get("fetch_timeout")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"{sources_file.path}: fetch_timeout must be a number of seconds above 0")
        found.update(total_timeout=float(timeout), read_timeout=min(float(timeout), FetchPolicy.read_timeout))
    file_networks(sources_file)
    return found


def time_budgets(sources_file: SourcesFile | None, max_time: float | None = None) -> tuple[float, float]:
    """(host budget, run budget) in seconds from a sources file's `host_budget` and `run_budget`;
    `max_time` overrides the run's."""
    settings = sources_file.settings if sources_file else {}
    found = []
    for key, default in (("host_budget", HOST_BUDGET), ("run_budget", RUN_BUDGET)):
        value = settings.get(key, default)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not value > 0 or math.isinf(value):
            raise ConfigError(f"{sources_file.path}: {key} must be a number of seconds above 0")
        found.append(float(value))
    if max_time is not None:
        found[1] = float(max_time)
    return found[0], found[1]


def base_policy(sources_file: SourcesFile | None, user_agent: str | None = None,
                local_root: str | None = None) -> FetchPolicy:
    """The policy of a run's fetches before any address permission: timeouts, user agent, and
    the directory a local source's files may be read from."""
    agent = user_agent or (sources_file.user_agent if sources_file else None)
    kwargs = {"allow_file_root": local_root, **fetch_settings(sources_file)}
    if agent:
        kwargs["user_agent"] = agent
    return FetchPolicy(**kwargs)


def file_networks(sources_file: SourcesFile | None) -> tuple[str, ...]:
    """The top-level `allow_networks` of a sources file (checked)."""
    if sources_file is None or "allow_networks" not in sources_file.settings:
        return ()
    return parse_networks(sources_file.settings["allow_networks"], f"{sources_file.path}: ")


def host_name(url: str) -> str:
    """The lower-cased host name of a URL ("" for file:// URLs and unparseable ones)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


class AddressAccess:
    """The non-public addresses each fetch may reach, from the sources file's permissions."""

    def __init__(self, sources_file: SourcesFile | None):
        self.sources = list(sources_file.sources) if sources_file else []
        self.file_private = bool(sources_file and sources_file.allow_private_addresses)
        self.file_networks = file_networks(sources_file)
        self.by_id: dict[int, SourceConfig] = {}

    def bind(self, ids: dict[str, int]) -> None:
        """Know the sources by their database ids (from sync_sources)."""
        self.by_id = {ids[s.name]: s for s in self.sources if s.name in ids}

    def grant(self, source: SourceConfig, url: str) -> tuple[bool, tuple[str, ...]]:
        """(private addresses allowed, networks allowed) for a fetch of `url` for `source`."""
        host = host_name(url)
        own_host = bool(host) and host == host_name(source.url)
        private = own_host and (source.allow_private or self.file_private)
        return private, source.allow_networks + (self.file_networks if own_host else ())

    def grant_for(self, source_id: int | None, url: str) -> tuple[bool, tuple[str, ...]]:
        """The grant of the fetch's source. A page of no listed source was given on the command
        line (`kb add`), by the operator rather than by a feed: the top-level settings apply to
        it, and what the listed sources on its host name are allowed there."""
        source = self.by_id.get(source_id) if source_id is not None else None
        if source is not None:
            return self.grant(source, url)
        host = host_name(url)
        private, networks = self.union([s for s in self.sources if host and host_name(s.url) == host], url)
        extra = tuple(n for n in self.file_networks if n not in networks)
        return private or self.file_private, networks + extra

    def union(self, sources: list[SourceConfig], url: str) -> tuple[bool, tuple[str, ...]]:
        private, networks = False, ()
        for source in sources:
            p, n = self.grant(source, url)
            private, networks = private or p, networks + tuple(x for x in n if x not in networks)
        return private, networks

    def policy(self, base: FetchPolicy, source_id: int | None, url: str) -> FetchPolicy:
        """`base` with the addresses the source may reach for this URL (redirects included)."""
        private, networks = self.grant_for(source_id, url)
        return replace(base, allow_private=private, allow_networks=networks)

    def robots_fetcher(self) -> Callable[..., Response]:
        """A fetcher for robots.txt files: a host's file is read with the permissions any listed
        source has on that host (the rules are cached per host, whoever asks first)."""

        def fetch_robots(url: str, *, policy: FetchPolicy, **kwargs) -> Response:
            private, networks = self.union(self.sources, url)
            policy = replace(policy, allow_private=private, allow_networks=networks)
            return fetch(url, policy=policy, **kwargs)

        return fetch_robots

    def explain(self, source_id: int | None, url: str, reason: str) -> str:
        """A refusal's reason, saying which permission the source lacks for the address."""
        if not reason.endswith(" refused") or reason.startswith("redirect") or "address" not in reason:
            return reason
        source = self.by_id.get(source_id) if source_id is not None else None
        host = host_name(url)
        if source is None:
            return reason
        feed_host = host_name(source.url)
        if (source.allow_private or self.file_private) and feed_host:
            return (f"{reason}: source {source.name!r} may fetch private addresses only on its feed's "
                    f"host {feed_host}, not {host}")
        return (f"{reason}: source {source.name!r} is not allowed private addresses on {host} "
                "(allow_private, allow_networks)")
