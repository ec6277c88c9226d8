"""Tests of kb.jobs."""
