"""Helpers shared by the steps: the data contract, MLflow tracking and the model registry."""
