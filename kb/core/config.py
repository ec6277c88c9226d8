"""Read the project's configuration files: sources, topics and settings from data/.

Every data file is found by `data_file`: in $KB_DATA_DIR when that folder has it (a user's own
topic data), else in the packaged data/ directory. Files kb writes (sources.toml) go to DATA_DIR.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.errors import ConfigError

PACKAGED_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
USER_DATA_DIR = Path(os.environ["KB_DATA_DIR"]).expanduser() if os.environ.get("KB_DATA_DIR") else None
# Where kb writes a data file it edits (`kb sources add`): the user's folder when there is one.
DATA_DIR = USER_DATA_DIR or PACKAGED_DATA_DIR


def data_file(name: str) -> Path:
    """The data file `name` (relative to a data directory): $KB_DATA_DIR's when it has one, else
    the packaged data/'s. The one place a data file is looked up."""
    if USER_DATA_DIR is not None and (USER_DATA_DIR / name).exists():
        return USER_DATA_DIR / name
    return PACKAGED_DATA_DIR / name


# Sources are never taken from the packaged file once a user has a folder of their own: a new
# topic starts with no sources, not with the first topic's.
DEFAULT_SOURCES = DATA_DIR / "sources.toml"
DEFAULT_TOPICS = data_file("topics.toml")
NLP_SETTINGS = data_file("nlp.toml")
SOURCE_KINDS = ("feed", "sitemap", "page")


@dataclass
class SourceConfig:
    """One `[[source]]` entry of a sources file."""

    name: str
    url: str
    kind: str = "feed"
    reliability: float = 0.5
    tags: list[str] = field(default_factory=list)
    first_party: bool = False
    local: bool = False
    min_interval_seconds: int = 900
    # Non-public addresses this source may reach (see ingest/access.py): private and loopback
    # ones on its feed's host, and addresses in these networks for its feed and all its entries.
    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()


@dataclass
class SourcesFile:
    """A parsed sources file and its settings."""

    path: Path
    sources: list[SourceConfig]
    allow_private_addresses: bool = False
    user_agent: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, raising ConfigError with the file name on any problem."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc


def read_nlp_settings(path: str | Path | None = None) -> dict[str, Any]:
    """data/nlp.toml (or `path`): the settings of the NLP pipeline and its sentence splitter."""
    return read_toml(path or NLP_SETTINGS)


def resolve_source_url(url: str, base_dir: Path) -> tuple[str, bool]:
    """Turn a relative path or file: URL in a sources file into an absolute file:// URL.

    Returns (url, is_local).
    """
    if url.startswith(("http://", "https://")):
        return url, False
    if url.startswith("file://"):
        path = Path(url[len("file://"):])
    elif "://" in url:
        raise ConfigError(f"unsupported URL scheme in {url!r}: use http(s) or a local path")
    else:
        path = Path(url)
    if not path.is_absolute():
        path = (base_dir / path).resolve()
    return path.as_uri(), True


def parse_networks(value: Any, where: str) -> tuple[str, ...]:
    """An `allow_networks` list as normalised CIDR strings, or ConfigError."""
    try:
        if not isinstance(value, list):
            raise TypeError
        return tuple(str(ipaddress.ip_network(n, strict=False)) for n in value)
    except (TypeError, ValueError):
        raise ConfigError(
            f'{where}allow_networks must be a list of networks such as ["10.1.2.0/24"]'
        ) from None


def parse_source(raw: dict[str, Any], base_dir: Path, where: str) -> SourceConfig:
    """Validate one [[source]] table."""
    for key in ("name", "url"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ConfigError(f"{where}: every [[source]] needs a `{key}` string")
    kind = raw.get("kind", "feed")
    if kind not in SOURCE_KINDS:
        raise ConfigError(
            f"{where}: source {raw['name']!r} has kind {kind!r}; use one of {', '.join(SOURCE_KINDS)}"
        )
    reliability = raw.get("reliability", 0.5)
    if not isinstance(reliability, int | float) or not 0 <= reliability <= 1:
        raise ConfigError(f"{where}: source {raw['name']!r}: reliability must be a number from 0 to 1")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"{where}: source {raw['name']!r}: tags must be a list of strings")
    url, local = resolve_source_url(raw["url"].strip(), base_dir)
    interval = raw.get("min_interval_seconds", raw.get("min_interval", 900))
    if not isinstance(interval, int) or interval < 0:
        raise ConfigError(
            f"{where}: source {raw['name']!r}: min_interval_seconds must be a whole number >= 0"
        )
    allow_private = raw.get("allow_private", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{where}: source {raw['name']!r}: allow_private must be true or false")
    networks: tuple[str, ...] = ()
    if "allow_networks" in raw:
        networks = parse_networks(raw["allow_networks"], f"{where}: source {raw['name']!r}: ")
    return SourceConfig(
        name=raw["name"].strip(),
        url=url,
        kind=kind,
        reliability=float(reliability),
        tags=tags,
        first_party=bool(raw.get("first_party", False)),
        local=local,
        min_interval_seconds=interval,
        allow_private=allow_private,
        allow_networks=networks,
    )


def load_sources(path: str | Path | None = None) -> SourcesFile:
    """Load and validate a sources file (default data/sources.toml)."""
    path = Path(path or DEFAULT_SOURCES)
    if not path.exists():
        raise ConfigError(f"{path}: file not found: add a source with `kb sources add NAME URL`, "
                          "or name a sources file with --sources")
    data = read_toml(path)
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(f"{path}: `source` must be an array of tables ([[source]])")
    base_dir = path.resolve().parent
    sources = [parse_source(raw, base_dir, str(path)) for raw in raw_sources]
    names = [s.name for s in sources]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"{path}: duplicate source names: {', '.join(sorted(dupes))}")
    allow_private = data.get("allow_private_addresses", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{path}: allow_private_addresses must be true or false")
    settings = {k: v for k, v in data.items() if k not in ("source", "allow_private_addresses")}
    return SourcesFile(
        path=path,
        sources=sources,
        allow_private_addresses=allow_private,
        user_agent=data.get("user_agent"),
        settings=settings,
    )


@dataclass
class Topic:
    """A tracked topic: an article is relevant when it matches its rules."""

    name: str
    title: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    min_score: int = 1
    # Terms that make an article relevant on their own when it is about them: named in the
    # headline and again at least `subject_mentions` times in the body.
    subjects: list[str] = field(default_factory=list)
    subject_mentions: int = 2


def load_topics(path: str | Path | None = None) -> list[Topic]:
    """Load tracked topics from data/topics.toml."""
    path = Path(path or DEFAULT_TOPICS)
    data = read_toml(path)
    topics = []
    for raw in data.get("topic", []):
        if not isinstance(raw.get("name"), str):
            raise ConfigError(f"{path}: every [[topic]] needs a `name`")
        topics.append(
            Topic(
                name=raw["name"],
                title=raw.get("title", raw["name"]),
                description=raw.get("description", ""),
                keywords=list(raw.get("keywords", [])),
                entities=list(raw.get("entities", [])),
                min_score=int(raw.get("min_score", 1)),
                subjects=list(raw.get("subjects", [])),
                subject_mentions=int(raw.get("subject_mentions", 2)),
            )
        )
    if not topics:
        raise ConfigError(f"{path}: no [[topic]] defined")
    return topics
