"""Datasette plugins of the knowledge base: pages for the timeline, stories and entities."""
