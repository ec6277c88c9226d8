"""TIMEX3 date values: grammar, precision, spans and labels (no spaCy, no database)."""
