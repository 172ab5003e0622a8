"""Names typed by people (positions, milestones, policies, streets) reach the charts' tooltips,
which ECharts inserts as HTML. One helper escapes them (``gl.lines`` in html.js); no other
script builds markup from strings, so a new chart cannot forget the escaping."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "src" / "gridlight" / "static" / "gridlight"
MARKUP = re.compile(
    r"""["'][^"'\n]*<(?:br|b|i|div|span|p|a|strong|em|table|tr|td)\b|\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write"""
)


def test_no_script_but_the_escaping_helper_builds_html_from_strings() -> None:
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(STATIC.glob("*.js"))
        if path.name != "html.js"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if MARKUP.search(line)
    ]
    assert offenders == []
    assert "window.gl.lines" in (STATIC / "html.js").read_text(encoding="utf-8")
