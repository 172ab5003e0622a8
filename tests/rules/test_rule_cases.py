"""Every rule-set YAML shipped with the product runs its own test cases (DESIGN: "Rule sets carry
YAML test cases that pytest runs")."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gridlight.rules.engine import compile_definition, run_tests
from gridlight.rules.subjects import get_subject

SRC = Path(__file__).resolve().parents[2] / "src" / "gridlight"
RULE_FILES = sorted(SRC.glob("*/rules/*.yaml"))
SUBJECTS = {"traffic_light.yaml": "household"}


def test_rule_files_are_found() -> None:
    assert [p.name for p in RULE_FILES] == ["traffic_light.yaml"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_shipped_rule_set_passes_its_cases(path: Path) -> None:
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    compiled = compile_definition(definition, get_subject(SUBJECTS[path.name]))
    assert compiled.tests, "a shipped rule set must carry test cases"
    assert run_tests(compiled) == []
