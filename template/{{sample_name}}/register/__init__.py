"""Registration: registers the model in the MLflow registry when the evaluation decided so."""
