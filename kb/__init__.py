"""newskb: a news and strategy tracking knowledge base."""

__version__ = "0.1.0"
