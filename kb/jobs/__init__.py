"""What a command runs: ingest, analyse, integrate, rescore, evaluate."""
