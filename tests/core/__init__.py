"""Tests of kb.core."""
