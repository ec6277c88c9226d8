"""Tests of kb.cli."""
