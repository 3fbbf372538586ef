"""The ML code, one folder per lifecycle stage: training, evaluate, register, scoring."""
