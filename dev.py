#!/usr/bin/env python3
"""Set up and run Gridlight from nothing but Python 3.11+ (standard library only).

    python3 dev.py demo    install everything, build the demo district and serve it
    python3 dev.py test    install everything (with Chromium for the browser tests) and run tests
    python3 dev.py lint    ruff and mypy

The virtual environment lives in .venv and is refreshed when the pinned requirements change.
Extra arguments go to the underlying command:
``dev.py test -k region``, ``dev.py demo --port 9000``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("GRIDLIGHT_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
REQUIREMENTS = {
    "base": ["requirements/base.txt"],
    "dev": ["requirements/base.txt", "requirements/dev.txt"],
}
CHROMIUM = "/usr/bin/chromium"
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def say(text: str) -> None:
    print(f"[gridlight] {text}", flush=True)


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(kind: str) -> None:
    files = REQUIREMENTS[kind]
    digest = hashlib.sha256()
    for name in [*files, "pyproject.toml"]:
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{kind}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest() and PYTHON.exists():
        return
    if not PYTHON.exists():
        say(f"creating the virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("installing pinned dependencies (first run takes a minute)")
    args = ["-m", "pip", "install", "--disable-pip-version-check", "-q"]
    for name in files:
        args += ["-r", str(ROOT / name)]
    run(PYTHON, *args)
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "--no-deps",
        "-e",
        str(ROOT),
    )
    stamp.write_text(digest.hexdigest())


def ensure_chromium() -> None:
    """Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser),
    and a CJK font so that screenshots show Chinese rather than empty boxes."""
    if Path(CHROMIUM).exists() and Path(CJK_FONT).exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium",
            "fonts-wqy-microhei")
    else:
        say(
            f"{CHROMIUM} is missing and cannot be installed here: browser tests will be skipped "
            "(install Debian's 'chromium' package to run them)"
        )


def main() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Gridlight needs Python 3.11 or newer.")
    command, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("help", [])
    env = dict(os.environ)
    if command == "demo":
        ensure_venv("base")
        run(BIN / "gridlight", "demo", *rest, env=env)
    elif command == "test":
        ensure_venv("dev")
        ensure_chromium()
        run(BIN / "gridlight", "compile_translations", env=env)
        run(PYTHON, "-m", "pytest", *rest, env=env)
    elif command == "lint":
        ensure_venv("dev")
        run(BIN / "ruff", "check", "src", "tests", "bench", "dev.py", "manage.py")
        run(BIN / "mypy")
    else:
        print(__doc__)
        sys.exit(0 if command in {"help", "-h", "--help"} else 2)


if __name__ == "__main__":
    main()
