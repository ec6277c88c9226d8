"""Tests of kb.store."""
