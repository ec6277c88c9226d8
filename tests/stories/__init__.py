"""Tests of kb.stories."""
