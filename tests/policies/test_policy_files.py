"""Every shipped policy file runs its own test cases (as every rule-set file does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridlight.policies.definition import compile_policy, run_tests
from gridlight.policies.demo import policy_files, read_policy_file
from gridlight.rules.subjects import get_subject

FILES = policy_files()


def test_policy_files_are_found() -> None:
    assert len(FILES) >= 9


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shipped_policy_passes_its_cases(path: Path) -> None:
    data = read_policy_file(path)
    compiled = compile_policy(
        data["definition"],
        get_subject(data["subject_type"]),
        code=data["code"],
        group=data.get("exclusive_group", ""),
    )
    assert compiled.tests, "a shipped policy must carry test cases"
    assert run_tests(compiled) == []
