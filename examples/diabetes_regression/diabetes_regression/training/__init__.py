"""Training: pure functions (train.py) and the step Azure ML and the local loop run (train_step.py)."""
