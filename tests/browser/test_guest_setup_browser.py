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
navigator.clipboard.readText().then(
  function (t) { done({text: t}); },
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


LAUNCH_JS = "consistency_dashboard/js/guest_setup.js"
LAUNCH_MODULE = "consistency_dashboard.guest_setup"

INJECT = "var inj = angular.element(document.body).injector();"


@pytest.fixture
def launch_step():
    """The Launch Instance step needs two enabled-file entries::

        ADD_JS_FILES = ['consistency_dashboard/js/guest_setup.js']
        ADD_ANGULAR_MODULES = ['consistency_dashboard.guest_setup']

    When the enabled file does not carry them (yet), they are applied here
    exactly as update_dashboards would, for this test only."""
    from unittest import mock

    from horizon import conf

    config = conf.HORIZON_CONFIG
    js_files = list(config["js_files"] or [])
    modules = list(config["angular_modules"] or [])
    patch = {}
    if LAUNCH_JS not in js_files:
        patch["js_files"] = js_files + [LAUNCH_JS]
    if LAUNCH_MODULE not in modules:
        patch["angular_modules"] = modules + [LAUNCH_MODULE]
    with mock.patch.dict(config._wrapped, patch):
        yield sorted(patch)


def wizard_settled(browser):
    """The wizard is open and every REST call it started has answered (here
    they all fail: no cloud behind them).  A step clicked before that can be
    switched back when the wizard's model finishes initialising."""
    return browser.execute_script(INJECT + """
        return document.querySelector('.wizard-nav') !== null
               && inj.get('$http').pendingRequests.length === 0;
    """)


def wizard_step(browser, title):
    wait(browser, 120).until(wizard_settled)
    item = wait(browser).until(EC.element_to_be_clickable((
        By.XPATH, "//div[contains(@class,'wizard-nav')]//li[a/span"
        "[normalize-space()='%s']]" % title)))
    item.click()
    return item


def test_launch_instance_step_fills_the_customization_script(
        browser, horizon, launch_step):
    print("enabled-file entries applied by the test: %s" % launch_step)
    browser.get(horizon.url + TAB)
    wait(browser).until(EC.presence_of_element_located(
        (By.ID, "consistency-guest-form")))
    assert "Guest kit" in browser.find_element(
        By.ID, "consistency-guest-launch-step").text
    steps = browser.execute_script(INJECT + """
        return inj.get('horizon.dashboard.project.workflow.launch-instance.'
                       + 'workflow').steps.map(function (s) { return s.id; });
    """)
    assert steps[steps.index("configuration") + 1] == "consistency-guest-kit"

    # The real Launch Instance wizard (its other REST calls fail here: no
    # cloud behind it; the wizard opens anyway).
    browser.execute_script(INJECT + """
        inj.get('$rootScope').$applyAsync(function () {
          inj.get('horizon.dashboard.project.workflow.launch-instance.'
                  + 'modal.service').open({});
        });
    """)
    wizard_step(browser, "Guest kit")
    use = wait(browser).until(EC.element_to_be_clickable(
        (By.ID, "consistency-guest-kit-use")))
    step = browser.find_element(
        By.XPATH, "//*[@ng-controller='ConsistencyGuestKitStepController "
        "as ctrl']")
    step.find_element(By.CSS_SELECTOR,
                      "input[type=radio][value=rhel]").click()
    boxes = step.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")
    assert len(boxes) == 2 and all(b.is_selected() for b in boxes)
    boxes[0].click()  # PostgreSQL off, MySQL stays on
    use.click()
    wait(browser).until(EC.text_to_be_present_in_element(
        (By.ID, "consistency-guest-kit-status"),
        "Put into Configuration > Customization Script."))
    expected = guest.cloud_init_user_data(family="rhel", apps=("mysql",))
    spec = browser.execute_script(
        INJECT + "return inj.get('launchInstanceModel').newInstanceSpec;")
    assert spec["user_data"] == expected

    wizard_step(browser, "Configuration")
    textarea = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, "load-edit textarea")))
    wait(browser, 10).until(
        lambda b: textarea.get_attribute("value") == expected)
    save_screenshot(browser, "guest-setup-launch-configuration")

    # The user edits the script: the step no longer overwrites it unless
    # told to replace it.
    textarea.send_keys("\n# mine")
    wait(browser, 10).until(lambda b: b.execute_script(
        INJECT + "return inj.get('launchInstanceModel')"
        ".newInstanceSpec.user_data;").endswith("# mine"))
    wizard_step(browser, "Guest kit")
    assert not use.is_enabled()
    step.find_element(By.XPATH, ".//label[contains(., 'Replace the "
                      "Customization Script')]/input").click()
    assert use.is_enabled()
    use.click()
    wait(browser, 10).until(lambda b: b.execute_script(
        INJECT + "return inj.get('launchInstanceModel')"
        ".newInstanceSpec.user_data;") == expected)
    save_screenshot(browser, "guest-setup-launch-step")
