"""Fixtures shared by every test: real servers on loopback, started once per session.

Fixture modules live in ``tests/support/fixtures_*.py`` and are loaded here by name, so each
area adds its servers without editing this file.
"""

from __future__ import annotations

from pathlib import Path

pytest_plugins = [
    f"support.{path.stem}"
    for path in sorted((Path(__file__).parent / "support").glob("fixtures_*.py"))
]
