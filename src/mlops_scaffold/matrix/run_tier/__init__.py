"""The run tier of the matrix: every combination's generated test suite and local loop, each
distinct run once.

A run is keyed by what it actually reads. The first run of a unit (a group of generated tests,
or the local loop) records every project file its Python processes open or list (an audit hook
installed in the shared venv); a later combination reuses that run's result when those same
files have the same content there (and the environment, the command and the make plan are
equal). Files the run tier treats as irrelevant (pipelines, IaC, docs) are never keyed; a run
that reads one fails, so that list cannot go stale silently.
"""
