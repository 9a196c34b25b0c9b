"""scripts/compat.py's "floor" stack is the lower bounds pyproject.toml declares."""

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import compat  # noqa: E402


def test_the_floor_stack_pins_the_declared_lower_bounds():
    text = (REPO / "pyproject.toml").read_text()
    dependencies = re.search(r"^dependencies = \[(.*?)\]", text, re.M | re.S).group(1)
    floors = dict(re.findall(r'"([\w-]+)>=([\d.]+)"', dependencies))
    pins = dict(pin.split("==") for pin in compat.STACKS["floor"][1])
    for name, floor in floors.items():
        assert name in pins, f"{name}>={floor} is declared but not tested by the floor stack"
        assert pins[name].startswith(floor), f"{name}: declared >={floor}, tested {pins[name]}"
    python = re.search(r'requires-python = ">=([\d.]+)"', text).group(1)
    assert any(python in candidate for candidate in compat.STACKS["floor"][0])
