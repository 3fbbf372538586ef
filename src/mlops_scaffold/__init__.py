"""mlops-scaffold: a Copier template and toolkit for Azure Machine Learning MLOps repositories."""

__version__ = "0.1.0"
