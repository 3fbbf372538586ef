"""Azure ML orchestration and service helpers: pipelines, deployments and the smoke-test client."""
