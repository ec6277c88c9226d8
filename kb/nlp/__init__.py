"""The spaCy pipeline (blank English plus the project's own components and data)."""
