"""Scoring: the online scoring script and, when selected, batch scoring."""
