"""openser_py: OpenSER 1.3 re-created in Python.

Importing the package has no side effects; see :mod:`openser_py.version`.
"""
from openser_py.version import NAME, VERSION, FULL_VERSION  # noqa: F401
