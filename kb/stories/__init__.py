"""Developing stories: placement of events, matching, titles and overviews, cards."""
