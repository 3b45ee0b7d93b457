"""Build and developer tools (run by the Makefile and setup.py)."""
