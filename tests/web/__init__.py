"""Tests of datasette_plugins."""
