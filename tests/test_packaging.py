"""A built wheel carries the bundled templates and rules, and perfrules works from it outside the checkout.

The wheel is built from a copy of the checkout (so no ``build/`` folder lands in the working tree),
installed with ``--no-deps`` into a temporary folder, and run from a folder outside the checkout with
``python -S -P``: the dependencies come from this venv's site-packages (on PYTHONPATH), and neither the
checkout nor its editable-install finder (a ``.pth`` file, skipped by ``-S``) is on the import path.
Deselect with ``-m "not packaging"`` (it builds a wheel: a few seconds, and the package index when this
venv cannot build it without isolation).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from perfrules.engine.bundled import bundled_path
from perfrules.engine.cli import cli
from perfrules.engine.settings import PROJECT_ROOT

GOLDEN_EMAIL = PROJECT_ROOT / "tests" / "notices" / "golden" / "reminder.zh-CN.txt"
# What a wheel must not depend on: the checkout's packages and its top-level folders.
CHECKOUT_DIRS = tuple(PROJECT_ROOT / name for name in ("engine", "storage", "templates", "rules"))
NOT_BUILD_INPUT = shutil.ignore_patterns(
    ".venv",
    ".git",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    "*.db",
    "*.db-*",
    "demo-output",
    "outbox",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "node_modules",
)

# Runs in the child: refuses a checkout module, then runs the CLI or renders one e-mail (JSON on stdout).
BOOT = """
import json, sys
from pathlib import Path

checkout_dirs = [Path(p) for p in json.loads(sys.argv.pop(1))]
mode = sys.argv.pop(1)
code = 0
try:
    if mode == "cli":
        from perfrules.engine.cli import main
        sys.argv[0] = "perfrules"
        main()
    else:
        from perfrules.engine.bundled import bundled_path
        from perfrules.engine.notices import make_environment, render_notice
        from perfrules.engine.notices.samples import SAMPLE_RECIPIENTS, sample_context
        env = make_environment()
        names = env.list_templates()
        for name in names:  # every bundled template parses; e-mails and contracts compile (the dashboard adds filters)
            env.parse(env.loader.get_source(env, name)[0]) if name.startswith("web/") else env.get_template(name)
        r = render_notice(env, sample_context("reminder", SAMPLE_RECIPIENTS["zh-CN"]))
        text = f"Subject: {r.subject}\\n\\n===== text/plain =====\\n{r.text}\\n===== text/html =====\\n{r.html}"
        print(json.dumps({"bundled": str(bundled_path("templates")), "templates": names, "reminder": text}))
except SystemExit as exc:
    code = exc.code
files = (Path(f).resolve() for f in (getattr(m, "__file__", None) for m in list(sys.modules.values())) if f)
leaked = sorted(str(f) for f in files if any(f.is_relative_to(d) for d in checkout_dirs))
if leaked:
    sys.exit(f"loaded from the checkout: {leaked}")
sys.exit(code)
"""


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def _build_flags() -> list[str]:
    """No build isolation when this venv has the build backend pyproject.toml asks for; else pip fetches it."""
    try:
        has_backend = int(version("setuptools").split(".")[0]) >= 69 and bool(version("wheel"))
    except PackageNotFoundError:
        has_backend = False
    return ["--no-build-isolation"] if has_backend else []


def archive_text(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(name).decode()


def _build_input(root: Path) -> dict[str, Path]:
    """Name inside a wheel -> file, for every module, template, rule and data file of the checkout ``root``."""
    files = [p for d in ("engine", "storage") for p in (root / d).rglob("*.py") if "__pycache__" not in p.parts]
    files += [*(root / "engine" / "web" / "static").iterdir(), *(root / "storage").rglob("*.mako")]
    names = {f"perfrules/{p.relative_to(root).as_posix()}": p for p in files}
    for folder, pattern in (("templates", "*.j2"), ("rules", "*.yaml")):
        names.update(
            {f"perfrules/engine/_bundled/{p.relative_to(root).as_posix()}": p for p in (root / folder).rglob(pattern)}
        )
    return names


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=NOT_BUILD_INPUT)
    r = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            *_build_flags(),
            "-q",
            "-w",
            str(work / "dist"),
        ],
        cwd=work,
    )
    assert r.returncode == 0, f"pip wheel failed:\n{r.stdout}\n{r.stderr}"
    (built,) = (work / "dist").glob("perfrules-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel: Path) -> Path:
    target = wheel.parent.parent / "site"
    r = _run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        cwd=wheel.parent,
    )
    assert r.returncode == 0, f"pip install failed:\n{r.stdout}\n{r.stderr}"
    (target / "boot.py").write_text(BOOT, encoding="utf-8")
    return target


def _installed(site: Path, cwd: Path, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed wheel in ``cwd`` (outside the checkout); ``mode`` "cli" runs ``perfrules ARGS``."""
    assert not cwd.resolve().is_relative_to(PROJECT_ROOT)
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERFRULES_", "PYTHON"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *deps])
    checkout_dirs = json.dumps([str(d) for d in CHECKOUT_DIRS])
    return _run([sys.executable, "-S", "-P", str(site / "boot.py"), checkout_dirs, mode, *args], cwd=cwd, env=env)


def test_a_checkout_reads_its_own_folders() -> None:
    # Editable installs (make test, CI) read the top-level folders in place, so an edit shows at once.
    assert bundled_path("templates") == PROJECT_ROOT / "templates"
    assert bundled_path("rules") == PROJECT_ROOT / "rules"


@pytest.mark.packaging
def test_the_wheel_carries_every_module_template_and_rule(wheel: Path) -> None:
    expected = _build_input(wheel.parent.parent / "source")  # the copy it was built from: others may edit meanwhile
    assert len([n for n in expected if n.startswith("perfrules/engine/_bundled/templates/emails/")]) >= 50
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
        missing = sorted(set(expected) - inside)
        assert not missing, f"not in the wheel (a package missing from [tool.setuptools] packages?): {missing}"
        changed = [n for n, path in expected.items() if archive.read(n) != path.read_bytes()]
    assert not changed, f"differ from the checkout: {changed}"
    dist_info = "-".join(wheel.name.split("-")[:2]) + ".dist-info"
    # One import package and its metadata at the top: no engine/, storage/, templates/ or rules/ beside it.
    assert {n.split("/")[0] for n in inside} == {"perfrules", dist_info}
    assert {n.split("/")[1] for n in inside if n.startswith("perfrules/")} == {"engine", "storage"}
    top_level = archive_text(wheel, f"{dist_info}/top_level.txt") if f"{dist_info}/top_level.txt" in inside else ""
    assert top_level.split() in ([], ["perfrules"]), top_level


@pytest.mark.packaging
def test_installed_check_and_test_use_the_bundled_rules(site: Path, tmp_path: Path) -> None:
    bundled = site / "perfrules" / "engine" / "_bundled" / "rules"
    r = _installed(site, tmp_path, "cli", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    checked = [line.removeprefix("Checking ") for line in r.stdout.splitlines() if line.startswith("Checking ")]
    expected = [str(bundled / p.name) for p in (PROJECT_ROOT / "rules").glob("*.yaml")]
    assert "templates" in checked and sorted(checked[1:]) == sorted(expected), r.stdout
    assert r.stdout.count("SUCCESS") == len(expected) + 1
    r = _installed(site, tmp_path, "cli", "test")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Unit Testing: {bundled / 'tests' / 'purchasing.yaml'}" in r.stdout
    assert " 0 failed" in r.stdout


@pytest.mark.packaging
def test_installed_contract_is_the_checkouts(site: Path, tmp_path: Path, runner) -> None:
    args = ["render", "contract", "--role", "purchaser", "--locale", "zh-CN", "--date", "2026-09-30"]
    r = _installed(site, tmp_path, "cli", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    bundled = site / "perfrules" / "engine" / "_bundled" / "rules"
    assert "第1条" in r.stdout and "rules/purchasing.yaml:" in r.stdout  # the default: the bundled rules
    assert str(site) not in r.stdout  # named relative to the rulebook, never by the server's path
    # The checkout's code and templates on the same files (same paths, so the same rulebook digest).
    here = runner.invoke(cli, ["--rules-dir", str(bundled), *args])
    assert here.exit_code == 0, here.output
    assert r.stdout == here.output


@pytest.mark.packaging
def test_installed_email_matches_the_golden_file(site: Path, tmp_path: Path) -> None:
    r = _installed(site, tmp_path, "email")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["bundled"] == str(site / "perfrules" / "engine" / "_bundled" / "templates")
    checkout = sorted(
        p.relative_to(PROJECT_ROOT / "templates").as_posix() for p in (PROJECT_ROOT / "templates").rglob("*.j2")
    )
    assert out["templates"] == checkout
    assert out["reminder"] == GOLDEN_EMAIL.read_text(encoding="utf-8")
