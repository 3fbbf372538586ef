"""Deployment of the registered model, one module per target; each takes the CI's model.json."""
