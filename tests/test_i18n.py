"""Chinese first, English available, and every string translated."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import Client

from tests.conftest import World, login

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "gridlight"
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalogue_is_complete_and_not_fuzzy() -> None:
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_source_string_is_in_the_catalogue(tmp_path: Path) -> None:
    copy = tmp_path / "gridlight"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("static", "__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--no-obsolete",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "gridlight.settings",
            "PATH": "/usr/bin:/bin",
            "GRIDLIGHT_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": str(PACKAGE.parent),
        },
    )
    fresh = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = {e.msgid for e in polib.pofile(str(PO))}
    assert sorted(e.msgid for e in fresh if e.msgid not in committed) == []


@pytest.mark.django_db
def test_pages_are_chinese_by_default_and_switch_to_english(world: World) -> None:
    client = login(world.users["district_admin"])
    body = client.get("/").content.decode()
    assert "区域树" in body or "区划树" in body
    assert "Region tree" not in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/").content.decode()
    assert "Region tree" in body


def test_login_page_is_chinese() -> None:
    body = Client().get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in body
    assert "登录" in body


def test_an_english_browser_still_gets_chinese_until_the_user_switches() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Sign in" in client.get("/accounts/login/").content.decode()


def test_catalogues_compile_without_gnu_gettext(tmp_path: Path) -> None:
    import gettext

    from gridlight.i18n import compile_catalogues

    target = tmp_path / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO, target / "django.po")
    assert compile_catalogues(tmp_path) == [target / "django.mo"]
    assert compile_catalogues(tmp_path) == []  # up to date: nothing rewritten
    with (target / "django.mo").open("rb") as mo:
        assert gettext.GNUTranslations(mo).gettext("Sign in") == "登录"


def test_every_translation_keeps_its_placeholders() -> None:
    """A msgstr whose %-placeholders differ from its msgid's breaks the page that formats it
    (a KeyError or "not enough arguments" at render time), and GNU msgfmt --check refuses the
    catalogue. Entries marked python-format must carry the same placeholders; a "%" that is not
    a placeholder must not be marked python-format at all."""
    import re

    directive = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])|%")

    def placeholders(text: str) -> list[str] | None:
        found = []
        for match in directive.finditer(text):
            if match.group(0) == "%":
                return None  # a bare "%": not a valid format string
            if match.group(2) != "%":
                found.append(match.group(1) or match.group(2))
        return sorted(found)

    wrong = []
    for entry in polib.pofile(str(PO)):
        if "python-format" not in entry.flags:
            continue
        expected = placeholders(entry.msgid)
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text and (expected is None or placeholders(text) != expected):
                wrong.append(entry.msgid)
    assert wrong == []
