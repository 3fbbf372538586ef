"""Evaluation: compares the new model with the production model and decides whether to register it."""
