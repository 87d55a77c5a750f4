"""The console in a real browser: headless Chromium from Debian driven by Selenium, against
waitress on 127.0.0.1. Log in, open every page, confirm a vital cut as the crisis cell and be
refused as an analyst, no console error, no request to anything but the server, a hostile
email subject shown as text."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import HOSTILE_SUBJECT, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _require_browser() -> None:
    if CHROMIUM is None or not Path(CHROMEDRIVER).exists():
        pytest.skip(
            "chromium and chromium-driver are not installed (apt-get install chromium "
            "chromium-driver; .ci/run does it as root)"
        )
    pytest.importorskip("selenium")


@pytest.fixture(scope="module")
def server(web_workspace: Path) -> Iterator[str]:
    """waitress on 127.0.0.1, a free port, in a thread."""
    _require_browser()
    import waitress

    from rempart.web.server import application

    app = application(web_workspace)
    srv: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.effective_port}"
    finally:
        srv.close()
        thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-sync",
        "--disable-default-apps",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def _login(driver: Any, base: str, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/compte/connexion/")
    driver.find_element(By.ID, "id_username").send_keys(user)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    _wait(driver, lambda d: "/compte/connexion/" not in d.current_url)


def _wait(driver: Any, cond: Any, timeout: float = 60) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(cond)


def _console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _requested(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _pages(base: str, incident: str) -> list[str]:
    return [
        "/",
        "/alertes/",
        "/alertes/?severity=high",
        "/incidents/",
        f"/incidents/{incident}/",
        "/plans/",
        f"/plans/{incident}/",
        "/appareils/",
        "/sources/",
        "/renseignement/",
    ]


def test_every_page_no_console_error_no_remote_request(
    server: str, browser: Any, incident_id: str
) -> None:
    from selenium.webdriver.common.by import By

    _login(browser, server, "u-analyste")
    for page in _pages(server, incident_id):
        browser.get(server + page)
        assert browser.find_element(By.TAG_NAME, "h1").text, page
        assert "Accès refusé" not in browser.page_source, page
    # htmx (vendored, CSP-clean) loads the polled fragment in place
    browser.get(server + "/")
    latest = "return (document.getElementById('latest') || {}).textContent || ''"
    _wait(browser, lambda d: "alerte" in d.execute_script(latest))
    assert _console_errors(browser) == []
    requested = _requested(browser)
    assert requested, "the performance log recorded no request"
    # the browser's own pages (chrome://new-tab-page...) are not network requests
    network = [u for u in requested if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")]
    assert any(u.startswith(server + "/static/") for u in network)
    outside = [u for u in network if not u.startswith(server + "/")]
    assert outside == []


def test_hostile_subject_is_shown_as_text(server: str, browser: Any, incident_id: str) -> None:
    from selenium.webdriver.common.by import By

    _login(browser, server, "u-lecture")
    browser.get(f"{server}/incidents/{incident_id}/")
    subject = browser.find_element(By.CSS_SELECTOR, "dd.subject")
    assert subject.text == HOSTILE_SUBJECT
    assert browser.find_elements(By.CSS_SELECTOR, "main img") == []
    assert browser.find_elements(By.CSS_SELECTOR, "main script") == []
    assert _console_errors(browser) == []


def test_vital_cut_confirmed_by_cell_refused_to_analyst(
    server: str, browser: Any, incident_id: str, web_workspace: Path
) -> None:
    from selenium.webdriver.common.by import By

    plans = f"{server}/plans/{incident_id}/"
    # the analyst sees no confirmation form for the vital plan, and a forged POST is refused
    _login(browser, server, "u-analyste")
    browser.get(plans)
    section = browser.find_element(By.ID, "plan-isolate")
    assert section.find_elements(By.CSS_SELECTOR, "form.confirm") == []
    assert "cellule de crise" in section.text
    browser.execute_script(
        """const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];
        const t = document.createElement('input'); t.name = 'csrfmiddlewaretoken';
        t.value = document.querySelector('meta[name=csrf-token]').content; f.appendChild(t);
        const r = document.createElement('input'); r.name = 'reason'; r.value = 'analyste';
        f.appendChild(r); document.body.appendChild(f); f.submit();""",
        f"{plans}isolate/retenir/",
    )
    _wait(browser, lambda d: "Accès refusé" in d.page_source)
    browser.get_log("browser")  # the 403 is logged by the browser: expected here
    browser.delete_all_cookies()
    # the crisis cell confirms with a written reason
    _login(browser, server, "u-cellule")
    browser.get(plans)
    form = browser.find_element(By.CSS_SELECTOR, "#plan-isolate form.confirm")
    reason = "Cellule de crise : isoler le bâtiment C, dialyse en procédure papier (navigateur)"
    form.find_element(By.NAME, "reason").send_keys(reason)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(browser, lambda d: reason in d.page_source)
    assert "coupure vitale confirmée" in browser.find_element(By.ID, "plan-isolate").text
    assert _console_errors(browser) == []
    from rempart.app.audit import trail

    entry = next(e for e in trail(web_workspace) if e.action == "plan.confirm")
    assert entry.actor == "u-cellule" and entry.details["reason"] == reason
    assert entry.origin == "127.0.0.1"


def test_intel_page_opens_with_its_forms(server: str, browser: Any) -> None:
    """The Renseignement page: the import form for an analyst (file input, CSRF token), the
    exports, TLP levels offered up to AMBER+STRICT only, no console error."""
    from selenium.webdriver.common.by import By

    _login(browser, server, "u-analyste")
    browser.get(server + "/renseignement/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Renseignement sur la menace"
    form = browser.find_element(By.CSS_SELECTOR, "form.import")
    assert form.get_attribute("enctype") == "multipart/form-data"
    assert form.find_element(By.NAME, "csrfmiddlewaretoken").get_attribute("value")
    assert form.find_element(By.CSS_SELECTOR, "input[type=file]").get_attribute("multiple")
    levels = [
        o.get_attribute("value")
        for o in browser.find_elements(By.CSS_SELECTOR, "select[name=tlp] option")
    ]
    assert levels == ["clear", "green", "amber", "amber+strict"]
    nav = browser.find_element(By.CSS_SELECTOR, "header nav a[aria-current=page]")
    assert nav.get_attribute("href").endswith("/renseignement/")
    assert _console_errors(browser) == []
    browser.delete_all_cookies()
    _login(browser, server, "u-lecture")  # a reader sees the page, without the forms
    browser.get(server + "/renseignement/")
    assert browser.find_elements(By.CSS_SELECTOR, "form.import") == []
    assert browser.find_elements(By.CSS_SELECTOR, "select[name=tlp]") == []
