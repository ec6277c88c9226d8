"""The event extractor: typed, dated event mentions from sentences."""
