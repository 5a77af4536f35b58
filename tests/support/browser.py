"""Headless Chromium for the tests that look at pages as a person does (Debian's chromium and
chromedriver, driven by Selenium); a test without them skips, saying how to get them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

__all__ = ["chromium", "go"]


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


def go(browser: Any, element: Any, *keys: str) -> None:
    """Click (or type ``keys`` into) ``element`` and wait until the next page has loaded: the
    old page's elements go stale first, so nothing is looked up on the page being left."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    if keys:
        element.send_keys(*keys)
    else:
        element.click()

    def left(_: Any) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            # asked in the middle of the navigation, chromedriver answers that the node no
            # longer belongs to the document: it is gone, as stale as can be
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    WebDriverWait(browser, 30).until(left)
