"""Headless Chromium for the tests that look at pages as a person does (Debian's chromium and
chromedriver, driven by Selenium); a test without them skips, saying how to get them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

__all__ = ["chromium"]


@contextmanager
def chromium(
    width: int = 1280, height: int = 1400, prefs: dict[str, Any] | None = None
) -> Iterator[Any]:
    """A headless Chromium window of ``width`` × ``height`` (``prefs``: Chromium preferences,
    such as the download folder), quit on exit."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip("chromium and chromedriver are not installed (make servers installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    if prefs:
        options.add_experimental_option("prefs", prefs)
    web = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield web
    finally:
        web.quit()
