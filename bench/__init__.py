"""Benchmarks: ``python -m bench <name> [--scale district|city] [--db sqlite|postgres]``."""

import sys
from pathlib import Path

# The code measured is this checkout's, whatever the virtual environment's editable install
# points at (a second working tree sharing one environment would otherwise time the first's).
_SRC = str(Path(__file__).resolve().parent.parent / "src")
if sys.path[:1] != [_SRC]:
    sys.path.insert(0, _SRC)
