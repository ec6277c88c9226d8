"""Regex alternations shaped like a trie of their alternatives (shared prefixes factored out)."""

from __future__ import annotations


def trie_regex(node: dict) -> str:
    """Render a trie whose keys are regex tokens ("" marks where an alternative ends).

    Longer continuations come first (a greedy optional), so the regex prefers the longest
    alternative, as a longest-first alternation would, without retrying shared prefixes.
    """
    branches = [token + trie_regex(child) for token, child in sorted(node.items()) if token]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body
