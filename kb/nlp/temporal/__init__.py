"""The temporal tagger: TIMEX3 expressions found and resolved against an anchor date."""
