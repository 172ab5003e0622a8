#!/usr/bin/env python3
"""Django's manage.py for developers; the same as the ``gridlight`` command."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from gridlight.cli import main

if __name__ == "__main__":
    main()
