"""Tests of kb.ledger."""
