"""The claim ledger: event mentions merged into events, folded and scored (never stories)."""
