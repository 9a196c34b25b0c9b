"""requirements.txt, environment.yml and package.json / package-lock.json agree."""

import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-\[\]]*)\s*==\s*([^\s;#]+)$")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines, where):
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):  # blank, comment, "-e ." or "-r file"
            continue
        match = PIN.match(line)
        assert match, f"{where}: {line!r} is not pinned as name==version"
        found[canonical(match.group(1))] = match.group(2)
    return found


def test_requirements_and_environment_list_the_same_packages_and_versions():
    requirements = pins((REPO / "requirements.txt").read_text().splitlines(), "requirements.txt")
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml should have one pip: section"
    environment = pins(pip_sections[0], "environment.yml pip:")
    assert requirements, "requirements.txt pins nothing"
    only_req = {k: v for k, v in requirements.items() if k not in environment}
    only_env = {k: v for k, v in environment.items() if k not in requirements}
    assert not only_req, f"in requirements.txt only: {only_req}"
    assert not only_env, f"in environment.yml only: {only_env}"
    differ = {k: (requirements[k], environment[k]) for k in requirements
              if requirements[k] != environment[k]}
    assert not differ, f"versions differ (requirements.txt, environment.yml): {differ}"
    assert "-e ." in pip_sections[0], "environment.yml should install course_lib with -e ."


def test_pins_parser_rejects_an_unpinned_line():
    try:
        pins(["numpy>=1.0"], "x")
    except AssertionError as err:
        assert "not pinned" in str(err)
    else:
        raise AssertionError("an unpinned line was accepted")


def test_package_json_pins_exactly_what_the_lockfile_installs():
    package = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    deps = package["dependencies"]
    assert deps, "package.json has no dependencies"
    for name, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: {version!r} is not an exact version"
        locked = lock["packages"].get(f"node_modules/{name}", {}).get("version")
        assert locked == version, f"{name}: package.json {version}, package-lock.json {locked}"
    assert lock["packages"][""]["dependencies"] == deps, "package-lock.json is out of date: npm install"
