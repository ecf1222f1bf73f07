"""`qa bench`: speed as measured facts, with ratios to bare floors so noisy machines compare."""
