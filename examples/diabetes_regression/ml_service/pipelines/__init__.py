"""Azure ML pipelines: each module builds its job as an entity; run_* modules submit it."""
