"""The openser_py core: logging, errors, process model, routing engine."""
