"""scripts/mutation_sample.py: the copy's [tool.mutmut] mutates one package and runs its tests;
the interval is Wilson's (checked against values worked out by hand)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "mutation_sample", ROOT / "scripts/mutation_sample.py"
)
sample = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sample)


@pytest.mark.parametrize("package", sample.PACKAGES)
def test_the_copy_mutates_one_package_and_copies_the_others(package):
    text = sample.narrowed((ROOT / "pyproject.toml").read_text(), package)
    section = text.split("[tool.mutmut]")[1].split("\n[")[0]
    assert f'source_paths = ["{package}/"]' in section
    for other in set(sample.PACKAGES) - {package}:
        assert f'"{other}/"' in section.split("also_copy = [")[1].split("]")[0]
    tests = section.split("pytest_add_cli_args_test_selection = ")[1].splitlines()[0]
    assert tests.startswith("[") and all(f'"{t}"' in tests for t in sample.TESTS[package])
    for t in sample.TESTS[package]:
        assert (ROOT / t).exists(), t  # a renamed test file would silently test nothing


def test_wilson_interval_by_hand():
    # 120 of 150: p = 0.8, z = 1.96 → centre (0.8 + 3.8416/300) / (1 + 3.8416/150)
    lo, hi = sample.wilson(120, 150)
    centre = (0.8 + 1.96**2 / 300) / (1 + 1.96**2 / 150)
    half = 1.96 * math.sqrt(0.8 * 0.2 / 150 + 1.96**2 / (4 * 150**2)) / (1 + 1.96**2 / 150)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    assert 0.728 < lo < 0.73 and 0.855 < hi < 0.857
    assert sample.wilson(0, 0) == (0.0, 0.0)
