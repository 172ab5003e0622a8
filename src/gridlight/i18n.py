"""Translation catalogues, compiled with polib (pure Python) instead of GNU gettext."""

from __future__ import annotations

from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def compile_catalogues(base: Path = LOCALE_DIR) -> list[Path]:
    """Write a .mo beside every .po under ``base`` that is missing or older than its .po.

    Runs before Django loads any catalogue: a catalogue loaded before its .mo exists stays
    untranslated for the life of the process.
    """
    written = []
    for po_path in sorted(base.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written
