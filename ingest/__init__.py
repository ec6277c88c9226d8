"""Fetching and extraction: feeds, pages and article text into the knowledge base."""
