"""Tests of kb.nlp."""
