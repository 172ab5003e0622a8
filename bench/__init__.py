"""Benchmarks: ``python -m bench <name> [--scale district|city] [--db sqlite|postgres]``."""
