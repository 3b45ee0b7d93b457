"""Tests of the tm module foundations."""
