"""The Images tab in real headless Chromium."""
import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests import fakes
from tests import fixtures
from tests.browser.conftest import save_screenshot

# The live server's threads share the test database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture
def cloud():
    images = fixtures.story_images() + [
        fixtures.make_image(EVIL, hw_qemu_guest_agent="<b>bold</b>")]
    by_name = {i.name: i for i in images}
    glance = fakes.FakeGlance(images)
    nova = fakes.FakeNova([
        fixtures.make_server("web-1", by_name["neither"].id),
        fixtures.make_server("web-2", by_name["neither"].id),
        fixtures.make_server("db-1", by_name["agent-only"].id)])
    patchers = fakes.start(glance.patch() + nova.patch())
    yield glance, by_name
    fakes.stop(patchers)


def wait(browser, seconds=60):
    return WebDriverWait(browser, seconds)


def row(browser, image_id):
    return browser.find_element(By.ID, "images__row__%s" % image_id)


def open_tab(browser, horizon):
    browser.get(horizon.url + "/project/consistency/?tab=consistency__images")
    wait(browser).until(EC.presence_of_element_located((By.ID, "images")))


def test_tab_shows_postures_and_html_as_text(browser, horizon, cloud):
    glance, by_name = cloud
    open_tab(browser, horizon)

    neither = row(browser, by_name["neither"].id)
    assert "crash-consistent only" in neither.text
    assert neither.find_element(
        By.CSS_SELECTOR, "td.consistency-instances").text == "2"
    unparseable = row(browser, by_name["unparseable-agent"].id)
    assert "enabled" in unparseable.text
    assert "unparseable: false" in unparseable.text
    assert "no effect in Nova" in row(browser, by_name["dead-fsfreeze"].id).text
    foreign = row(browser, by_name["someone-elses"].id)
    assert "Owned by another project" in foreign.text
    assert not foreign.find_elements(By.CSS_SELECTOR, "a.ajax-modal")

    evil = row(browser, by_name[EVIL].id)
    assert EVIL in evil.text
    assert "<b>bold</b>" in evil.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#images img[src='x']")
    assert not browser.find_elements(By.CSS_SELECTOR, "#images b")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    save_screenshot(browser, "images-tab")


def test_row_fix_through_confirmation_updates_the_row(browser, horizon,
                                                      cloud):
    glance, by_name = cloud
    image = by_name["neither"]
    # The tab group is sticky: Horizon shows the last tab the user clicked
    # unless the URL names one.  Click another tab first, so the redirect
    # after the fix must name the Images tab to land there.
    open_tab(browser, horizon)
    browser.find_element(
        By.CSS_SELECTOR, 'a[data-target="#consistency__test_snapshots"]').click()
    wait(browser).until(EC.visibility_of_element_located(
        (By.ID, "consistency__test_snapshots")))
    open_tab(browser, horizon)

    row(browser, image.id).find_element(
        By.ID, "images__row_%s__action_fix_make_consistent" % image.id).click()
    modal = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".modal .consistency-fix-selection")))
    assert "These 2 instances keep their boot-time properties" in modal.text
    assert "keep the properties they were booted with" in \
        browser.find_element(By.CSS_SELECTOR, ".modal").text
    save_screenshot(browser, "fix-confirmation")
    browser.find_element(By.CSS_SELECTOR,
                         ".modal .modal-footer [type=submit]").click()

    wait(browser).until(EC.text_to_be_present_in_element(
        (By.CSS_SELECTOR, ".messages"), "Changed 1 image(s)"))
    assert "hw_qemu_guest_agent=yes, os_require_quiesce=yes" in \
        browser.find_element(By.CSS_SELECTOR, ".messages").text
    updated = row(browser, image.id)
    assert "filesystem-consistent if the agent answers" in updated.text
    assert glance.images[image.id]["hw_qemu_guest_agent"] == "yes"
    assert glance.images[image.id]["os_require_quiesce"] == "yes"


def test_bulk_fix_lists_what_changed_and_what_did_not(browser, horizon,
                                                      cloud):
    glance, by_name = cloud
    chosen = [by_name["neither"], by_name["agent-and-quiesce"]]
    open_tab(browser, horizon)
    for image in chosen:
        checkbox = row(browser, image.id).find_element(
            By.CSS_SELECTOR, "input.table-row-multi-select")
        # Themed checkboxes hide the input behind a label.
        browser.execute_script("arguments[0].click();", checkbox)
    browser.find_element(By.ID, "images__action_bulk_make_consistent").click()

    table = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".consistency-fix-selection")))
    assert "Already set: nothing to change." in table.text
    table.find_element(By.XPATH, "./ancestor::form//*[@type='submit']").click()

    messages = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".messages .alert-success")))
    assert "Changed 1 image(s): neither" in messages.text
    assert "Not changed: agent-and-quiesce (Already set" in \
        browser.find_element(By.CSS_SELECTOR, ".messages").text
    updates = [c for c in glance.calls if c[0] == "image_update_properties"]
    assert updates == [("image_update_properties", by_name["neither"].id)]


def row_heights(browser, table_id):
    """Rendered height in px of every body row of a table, by row id."""
    return browser.execute_script(
        "var out = {};"
        "document.querySelectorAll('#' + arguments[0] + ' tbody tr[id]')"
        ".forEach(function (tr) {"
        "  out[tr.id] = tr.getBoundingClientRect().height; });"
        "return out;", table_id)


def test_rows_are_one_line_and_the_name_opens_the_detail(browser, horizon,
                                                         cloud):
    glance, by_name = cloud
    browser.set_window_size(1600, 1000)
    try:
        open_tab(browser, horizon)
        heights = row_heights(browser, "images")
        print("images row heights:", sorted(heights.values()))
        assert len(heights) == len(by_name)
        # The longest real content: three properties (dead-fsfreeze), the
        # longest badge and line (quiesce-without-agent), a raw value Nova
        # cannot read (unparseable-agent).
        for name in ("dead-fsfreeze", "quiesce-without-agent",
                     "unparseable-agent", "someone-elses"):
            height = heights["images__row__%s" % by_name[name].id]
            assert height < 80, (name, height)
        save_screenshot(browser, "images-tab-1600x1000")

        image = by_name["quiesce-without-agent"]
        row(browser, image.id).find_element(By.LINK_TEXT, image.name).click()
        wait(browser).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, ".consistency-image-overview")))
        assert "snapshot refused unless the agent channel exists" in \
            browser.find_element(By.CSS_SELECTOR, ".detail-title").text + \
            browser.page_source
        browser.find_element(By.CSS_SELECTOR,
                             'a[data-target$="__why"]').click()
        why = wait(browser).until(EC.visibility_of_element_located(
            (By.CSS_SELECTOR, ".consistency-image-why")))
        assert "Nova refuses live snapshots of running instances" in why.text
        save_screenshot(browser, "image-detail-why")
    finally:
        browser.set_window_size(1600, 1200)
