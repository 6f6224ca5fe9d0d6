"""The Guest setup tab in real headless Chromium: generate the cloud-init
user-data, copy it, download it and a script through the browser's own
session."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from consistency_dashboard import guest
from tests import fakes
from tests.browser.conftest import save_screenshot
from tests.test_guest_setup import ApiCallGuard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAB = "/project/consistency/?tab=consistency__guest_setup"
COPIED = ("copied", "copied-execcommand")

FETCH = """
var done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) {
  return r.text().then(function (body) {
    done({status: r.status, body: body,
          disposition: r.headers.get('Content-Disposition'),
          type: r.headers.get('Content-Type')});
  });
}).catch(function (e) { done({error: String(e)}); });
"""

READ_CLIPBOARD = """
var done = arguments[arguments.length - 1];
navigator.clipboard.readText().then(function (t) { done({text: t}); },
                                    function (e) { done({error: String(e)}); });
"""


def wait(browser, seconds=60):
    return WebDriverWait(browser, seconds)


@pytest.fixture
def no_api():
    guard = ApiCallGuard().start()
    yield guard
    guard.stop()
    assert guard.calls == [], "the Guest setup tab called OpenStack"


def text_of(browser, element):
    return browser.execute_script("return arguments[0].textContent;", element)


def selection(browser):
    """The selected text.  Chromium's Selection.toString() drops the final
    newline of a <pre>, so callers compare with that newline removed."""
    return browser.execute_script("return window.getSelection().toString();")


def click_copy(browser):
    button = browser.find_element(By.ID, "consistency-guest-copy")
    browser.execute_script("arguments[0].removeAttribute('data-copy-result')",
                           button)
    button.click()
    wait(browser, 20).until(
        lambda b: button.get_attribute("data-copy-result"))
    status = browser.find_element(By.ID, "consistency-guest-copy-status")
    result = button.get_attribute("data-copy-result")
    print("copy result: %s (%s)" % (result, status.text))
    return result, status.text


def generate(browser, family, apps):
    form = browser.find_element(By.ID, "consistency-guest-form")
    form.find_element(By.CSS_SELECTOR, "input[name=family][value=%s]"
                      % family).click()
    for box in form.find_elements(By.CSS_SELECTOR, "input[name=apps]"):
        if box.is_selected() != (box.get_attribute("value") in apps):
            box.click()
    browser.find_element(By.ID, "consistency-guest-generate").click()
    return wait(browser).until(EC.presence_of_element_located((
        By.CSS_SELECTOR, "#consistency-guest-output[data-family=%s]"
        "[data-apps='%s']" % (family, ",".join(apps)))))


def test_generate_rhel_mysql_copy_and_download(browser, horizon, no_api):
    browser.get(horizon.url + TAB)
    wait(browser).until(EC.presence_of_element_located(
        (By.ID, "consistency-guest-form")))
    page = browser.find_element(By.ID, "consistency-guest-setup").text
    assert "reported by the guest" in page
    for script in guest.list_scripts():
        assert script.filename in page
    assert "50-consistency-testapp" not in page

    generate(browser, "rhel", ("mysql",))
    expected = guest.cloud_init_user_data(family="rhel", apps=("mysql",))
    pre = browser.find_element(By.ID, "consistency-guest-user-data")
    assert text_of(browser, pre) == expected
    assert "/etc/qemu-ga/fsfreeze-hook.d/10-consistency-mysql" in pre.text
    assert "10-consistency-postgresql" not in pre.text
    assert browser.find_element(
        By.CSS_SELECTOR, "input[name=family][value=rhel]").is_selected()
    save_screenshot(browser, "guest-setup-rhel-mysql")

    # Copy, 1: the clipboard API, allowed for this origin.  What reached
    # the clipboard is read back: the exact user-data.
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": horizon.url,
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    result, status = click_copy(browser)
    assert result in COPIED, status
    assert status == "Copied to the clipboard."
    clip = browser.execute_async_script(READ_CLIPBOARD)
    assert clip == {"text": expected}

    # Copy, 2: the clipboard API refuses (as a browser without permission
    # does): the fallback selects exactly the user-data, then either copies
    # it with execCommand or asks for Ctrl+C; both are reported.
    browser.execute_script(
        "navigator.clipboard.writeText = function () {"
        "  return Promise.reject(new Error('denied')); };"
        "window.getSelection().removeAllRanges();")
    result, status = click_copy(browser)
    assert result in COPIED + ("selected",), status
    assert selection(browser) == expected.rstrip("\n")
    if result == "selected":
        assert "press Ctrl+C" in status
    else:
        assert status == "Copied to the clipboard."

    # Download through the browser's own session (cookies, login).
    link = browser.find_element(By.ID, "consistency-guest-user-data-download")
    href = link.get_attribute("href")
    assert "family=rhel" in href and "apps=mysql" in href
    assert "postgresql" not in href
    got = browser.execute_async_script(FETCH, href)
    assert got["status"] == 200
    assert got["disposition"] == \
        'attachment; filename="consistency-user-data-rhel.yaml"'
    assert got["body"] == expected

    probe = browser.find_element(
        By.CSS_SELECTOR, "tr[data-script=probe] a.consistency-guest-download")
    got = browser.execute_async_script(FETCH, probe.get_attribute("href"))
    assert got["status"] == 200
    assert got["disposition"] == 'attachment; filename="99-consistency-probe"'
    assert got["type"].startswith("text/x-shellscript")
    assert got["body"] == guest.read_script("probe")


@pytest.fixture
def empty_cloud():
    patchers = fakes.start(fakes.FakeGlance([]).patch() +
                           fakes.FakeNova([]).patch())
    yield
    fakes.stop(patchers)


def test_tab_loaded_by_ajax_copies_too(browser, horizon, empty_cloud):
    """From another tab: the Guest setup tab arrives by AJAX with its script
    tag, and its Copy button works."""
    browser.get(horizon.url + "/project/consistency/?tab=consistency__images")
    wait(browser).until(EC.presence_of_element_located((By.ID, "images")))
    assert not browser.find_elements(By.ID, "consistency-guest-setup")
    browser.find_element(
        By.CSS_SELECTOR, "a[data-target='#consistency__guest_setup']").click()
    pre = wait(browser).until(EC.visibility_of_element_located(
        (By.ID, "consistency-guest-user-data")))
    expected = guest.cloud_init_user_data(family="debian",
                                          apps=("mysql", "postgresql"))
    assert text_of(browser, pre) == expected
    browser.execute_script(
        "navigator.clipboard.writeText = function () {"
        "  return Promise.reject(new Error('denied')); };"
        "window.getSelection().removeAllRanges();")
    result, status = click_copy(browser)
    assert result in COPIED + ("selected",), status
    assert selection(browser) == expected.rstrip("\n")
    # Loaded twice on this page at most, bound once.
    assert browser.execute_script(
        "return window.consistencyGuestSetupCopy === true;")
