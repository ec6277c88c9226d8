"""Text extraction for a run: a fetched page's article, fingerprints and topics, worked out inline
or in a pool of worker processes (the CPU work kept out of the process that stores)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass

from ingest.blocks import BlockRules, load_block_rules
from ingest.extract import ExtractedArticle, ExtractionError, extract_article
from ingest.fingerprints import TextKeys, text_keys
from kb.core.config import data_file
from kb.store.lock import die_with_parent
from kb.store.topics import TopicMatcher, compile_topics, match_topics


@dataclass
class ExtractedPage:
    """An extracted article with what storing it needs that depends on its text alone."""

    article: ExtractedArticle
    keys: TextKeys
    topics: list[str]


_topic_matchers: list[TopicMatcher] | None = None
_block_rules: BlockRules | None = None
BLOCK_RULES_FILE = data_file("blocks.toml")


def topic_matchers(reload: bool = False) -> list[TopicMatcher]:
    """This process's compiled topic rules (data/topics.toml), compiled once."""
    global _topic_matchers
    if _topic_matchers is None or reload:
        _topic_matchers = compile_topics()
    return _topic_matchers


def block_rules() -> BlockRules:
    """This process's rules for what is an article's body (data/blocks.toml), read once;
    PolicyError naming the file when it is broken."""
    global _block_rules
    if _block_rules is None:
        _block_rules = load_block_rules(BLOCK_RULES_FILE)
    return _block_rules


def extract_page(body: bytes, url: str) -> ExtractedPage | tuple[str, str]:
    """Extraction for a worker process: the article, its fingerprints and topics (CPU work
    kept out of the process that stores), or (status, reason)."""
    try:
        article = extract_article(body, url, block_rules())
        topics = match_topics(topic_matchers(), article.title, article.text)
        return ExtractedPage(article, text_keys(article.text), topics)
    except ExtractionError as exc:
        return ("extract_failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - a hostile page must not stop the run
        return ("extract_failed", f"{type(exc).__name__}: {exc}")


class Extractor:
    """Runs extraction inline (1 worker) or in a process pool (several)."""

    def __init__(self, workers: int):
        """Create it before any fetch thread starts: the workers are then forked at once, with
        the extraction code already imported. Forking is safe only while no other thread
        runs; otherwise (a host program's threads) they come from a fork server."""
        self.pool: Executor | None = None
        block_rules()  # a broken rules file stops the run here, before any page is fetched
        if workers > 1:
            if threading.active_count() == 1:
                context, parent = multiprocessing.get_context("fork"), os.getpid()
            else:
                context, parent = multiprocessing.get_context("forkserver"), None
                context.set_forkserver_preload(["kb.jobs.extraction"])
            # Workers die with this process (kill -9 included) and never hold the run's lock.
            self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent,
                                            initargs=(parent,))
            self.pool.submit(len, b"")  # with fork, the first task starts every worker now

    def submit(self, body: bytes, url: str) -> Future:
        if self.pool:
            return self.pool.submit(extract_page, body, url)
        future: Future = Future()
        future.set_result(extract_page(body, url))
        return future

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)
