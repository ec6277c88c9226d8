"""robots.txt checks with a per-host cache, so ingest only fetches what publishers allow."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import unquote, urlsplit
from urllib.robotparser import RobotFileParser, RuleLine

from ingest.exceptions import FetchError
from ingest.http import DEFAULT_POLICY, FetchPolicy, Response, fetch

log = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 512_000  # 500 KiB: what RFC 9309 and Google read of a robots.txt; the rest is ignored
DEFAULT_TTL = 24 * 3600.0
RETRY_AFTER_ERROR = 600.0  # a host whose robots.txt could not be read is asked again after this
QUOTED_STAR = "%2A"  # how RuleLine stores a `*` of a rule's path
QUOTED_END = "%24"   # how RuleLine stores a `$` of a rule's path
CRAWL_DELAY_LINE = re.compile(r"^(\s*crawl-delay\s*:\s*)([0-9]*\.[0-9]+)\s*$", re.I | re.M)

Fetcher = Callable[..., Response]


@dataclass
class _HostRules:
    parser: RobotFileParser | None  # None: everything allowed (no robots.txt or not readable)
    expires: float
    disallow_all: bool = False


class RobotsCache:
    """Answers "may we fetch this URL?" from each host's robots.txt, cached for `ttl` seconds.

    A 404/410 (or other 4xx) robots.txt allows everything; 401/403 disallows everything;
    a network error or 5xx allows for now and is retried after `retry_after` seconds.
    file:// URLs are always allowed.
    """

    def __init__(self, fetcher: Fetcher = fetch, policy: FetchPolicy = DEFAULT_POLICY, *,
                 ttl: float = DEFAULT_TTL, retry_after: float = RETRY_AFTER_ERROR,
                 clock: Callable[[], float] = time.monotonic):
        self.fetcher = fetcher
        self.policy = policy
        self.ttl = ttl
        self.retry_after = retry_after
        self.clock = clock
        self.agent = policy.user_agent.split("/")[0].strip() or "*"
        self._hosts: dict[str, _HostRules] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def allowed(self, url: str) -> bool:
        """True if robots.txt lets our user agent fetch `url`."""
        rules = self._rules_for(url)
        if rules is None or rules.parser is None:
            return True
        if rules.disallow_all:
            return False
        return rules.parser.can_fetch(self.agent, url)

    def crawl_delay(self, url: str) -> float | None:
        """Seconds to wait between requests to this host, if its robots.txt asks for it."""
        rules = self._rules_for(url)
        if rules is None or rules.parser is None:
            return None
        delay = rules.parser.crawl_delay(self.agent)
        return float(delay) if delay is not None else None

    def _rules_for(self, url: str) -> _HostRules | None:
        try:
            parts = urlsplit(url.strip())
            scheme = parts.scheme.lower()
            netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        except ValueError:
            return None
        if scheme not in ("http", "https") or not netloc:
            return None  # file:// and anything the fetcher itself refuses
        key = f"{scheme}://{netloc}"
        with self._lock:
            host_lock = self._loading.setdefault(key, threading.Lock())
        with host_lock:  # concurrent workers asking about one host fetch its robots.txt once
            now = self.clock()
            with self._lock:
                cached = self._hosts.get(key)
            if cached is not None and cached.expires > now:
                return cached
            rules = self._load(key + "/robots.txt", now)
            with self._lock:
                self._hosts[key] = rules
            return rules

    def _load(self, robots_url: str, now: float) -> _HostRules:
        policy = self.policy
        if policy.max_bytes > ROBOTS_MAX_BYTES:
            policy = replace(policy, max_bytes=ROBOTS_MAX_BYTES)
        try:
            # RFC 9309 lets a crawler stop at 500 KiB: a longer file is cut there, not ignored.
            response = self.fetcher(robots_url, policy=policy, accept="text/plain", truncate=True)
        except FetchError as exc:
            if exc.http_status in (401, 403):
                log.info("%s: HTTP %s, treating the site as disallowed", robots_url, exc.http_status)
                return _HostRules(parser=RobotFileParser(), expires=now + self.ttl, disallow_all=True)
            if exc.http_status is not None and 400 <= exc.http_status < 500:
                return _HostRules(parser=None, expires=now + self.ttl)
            log.info("%s unreadable (%s): allowing, will retry", robots_url, exc.reason)
            return _HostRules(parser=None, expires=now + self.retry_after)
        if len(response.body) >= policy.max_bytes:  # cut: drop the last line, which may be half a rule
            response = replace(response, body=response.body[: response.body.rfind(b"\n") + 1])
        parser = RobotFileParser(robots_url)
        parser.parse(_round_up_crawl_delays(response.text()).splitlines())
        _prefer_longest_rules(parser)
        return _HostRules(parser=parser, expires=now + self.ttl)


def _round_up_crawl_delays(text: str) -> str:
    """urllib.robotparser reads whole seconds only: round decimals up to stay polite."""
    return CRAWL_DELAY_LINE.sub(lambda m: f"{m.group(1)}{math.ceil(float(m.group(2)))}", text)


class PatternRule(RuleLine):
    """An Allow/Disallow rule with wildcards (RFC 9309): `*` is any run of characters, a final `$`
    ends the path.

    urllib.robotparser compares paths as plain prefixes, where `Disallow: /*.pdf$` matches no URL
    at all and so allows more than the site asked. Matching here scans the URL once per `*`
    segment (no regular expression, so a hostile pattern cannot backtrack for long).
    """

    def __init__(self, rule: RuleLine):
        self.path = rule.path  # percent-quoted by RuleLine, like the URLs it is compared with
        self.allowance = rule.allowance
        self.anchored = self.path.endswith(QUOTED_END)
        body = self.path[: -len(QUOTED_END)] if self.anchored else self.path
        self.segments = body.split(QUOTED_STAR)

    def applies_to(self, filename: str) -> bool:
        first, *rest = self.segments
        if not filename.startswith(first):
            return False
        position = len(first)
        if not rest:
            return position == len(filename) if self.anchored else True
        *middle, last = rest
        for segment in middle:
            found = filename.find(segment, position)
            if found < 0:
                return False
            position = found + len(segment)
        if self.anchored:
            return filename.endswith(last) and len(filename) - len(last) >= position
        return filename.find(last, position) >= 0


def _prefer_longest_rules(parser: RobotFileParser) -> None:
    """Make the most specific rule win (RFC 9309), not the first listed, Allow winning ties.

    Rules with `*` or a final `$` become PatternRules; a rule's length is that of its path as written.
    """
    entries = list(parser.entries)
    if parser.default_entry is not None:
        entries.append(parser.default_entry)
    for entry in entries:
        entry.rulelines = [PatternRule(rule) if QUOTED_STAR in rule.path or rule.path.endswith(QUOTED_END)
                           else rule for rule in entry.rulelines]
        entry.rulelines.sort(key=lambda rule: (-len(unquote(rule.path)), not rule.allowance))
