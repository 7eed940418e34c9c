"""Where the files shipped with perfrules are: the Jinja templates and the default rulebook.

A checkout keeps them in its top-level ``templates/`` and ``rules/`` folders, and an editable install
(``pip install -e .``) reads them there, so an edit shows at once. A built wheel carries the same files as
package data in ``engine/_bundled/templates`` and ``engine/_bundled/rules`` (``pyproject.toml`` maps the
folders there, so site-packages gets no generic top-level ``templates``/``rules``). This module is the one
place that decides which; everything else asks :func:`bundled_path`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from perfrules.engine.errors import PerfRulesError

FOLDERS = ("templates", "rules")
INSTALLED = "_bundled"  # the folder inside the engine package that a wheel carries them in


class BundledFilesMissing(PerfRulesError, FileNotFoundError):
    """Raised by :func:`bundled_path` when perfrules is neither a checkout nor a complete installed wheel
    (e.g. a wheel built without its package data): the install is broken, not the configuration."""

    def __init__(self, folder: str, searched: tuple[Path, ...]):
        where = " or ".join(str(p) for p in searched)
        super().__init__(
            f"the bundled {folder} are missing (looked in {where}): reinstall perfrules from a wheel or a checkout"
        )
        self.folder = folder
        self.searched = searched


def bundled_path(folder: str) -> Path:
    """The folder of the bundled ``templates`` or ``rules``: inside the installed package when a wheel put
    them there, else the checkout's top-level folder."""
    if folder not in FOLDERS:
        raise ValueError(f"unknown bundled folder {folder!r} (expected one of {', '.join(FOLDERS)})")
    package = files("perfrules.engine")
    if not isinstance(package, Path):  # a zip import: Jinja and the rule loader need real files
        raise BundledFilesMissing(folder, (Path(str(package)),))
    installed = package / INSTALLED / folder
    if installed.is_dir():
        return installed
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / folder).is_dir():
        return checkout / folder
    raise BundledFilesMissing(folder, (installed, checkout / folder))


__all__ = ["FOLDERS", "BundledFilesMissing", "bundled_path"]
