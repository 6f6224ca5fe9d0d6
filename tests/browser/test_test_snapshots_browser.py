"""The test snapshot flow in real headless Chromium, with OpenStack faked
at the API boundary (tests/fakes.py FakeSnapshotCloud): from the Instances
tab's row action, through the modal showing the predicted outcome, to the
Test snapshots tab whose row updates itself (Horizon ajax rows) until the
verdict."""
from unittest import mock

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from consistency_dashboard.core import verdict as core_verdict
from tests import fakes
from tests import fixtures
from tests.browser.conftest import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
PROBED = "aaaaaaaa-1111-4222-8333-444444444444"
NO_CHANNEL = "bbbbbbbb-1111-4222-8333-444444444444"
FROZEN = "cccccccc-1111-4222-8333-444444444444"


@pytest.fixture
def cloud():
    from horizon import conf
    # Poll every 0.5 s instead of 2.5 s (Horizon then backs off by itself).
    fast = mock.patch.dict(conf.HORIZON_CONFIG, {"ajax_poll_interval": 500})
    fast.start()
    base = fixtures.make_image("base", image_id="base-image", **GOOD)
    fake = fakes.FakeSnapshotCloud(
        [fixtures.server_dict("db-probed", base.id, GOOD, server_id=PROBED),
         fixtures.server_dict("no-channel", base.id,
                              {"os_require_quiesce": "yes"},
                              server_id=NO_CHANNEL),
         fixtures.server_dict("stuck", base.id, GOOD, server_id=FROZEN)],
        images=[base], guest_probe={PROBED: "fs", FROZEN: "frozen"},
        fail_snapshot=[NO_CHANNEL])
    patchers = fakes.start(fake.patch())
    yield fake
    fakes.stop(patchers)
    fast.stop()


def wait(browser, seconds=60):
    # Horizon's ajax rows replace a row while we look at it.
    return WebDriverWait(browser, seconds, ignored_exceptions=(
        StaleElementReferenceException,))


def take_test_snapshot(browser, horizon, server_id):
    browser.get(horizon.url + "/project/consistency/?tab=consistency__"
                "instances")
    wait(browser).until(EC.presence_of_element_located((By.ID, "instances")))
    browser.find_element(By.ID, "instances__row__%s" % server_id) \
        .find_element(By.CSS_SELECTOR,
                      "[id$='__action_test_snapshot']").click()
    prediction = wait(browser).until(EC.visibility_of_element_located(
        (By.ID, "consistency-test-prediction")))
    text = prediction.text
    save_screenshot(browser, "test-snapshot-modal-%s" % server_id[:8])
    browser.find_element(By.CSS_SELECTOR,
                         ".modal .modal-footer [type=submit]").click()
    wait(browser).until(EC.presence_of_element_located(
        (By.ID, "test_snapshots")))
    return text


def settled_row(browser, server_id, seconds=90):
    def find(driver):
        for row in driver.find_elements(
                By.CSS_SELECTOR, "#test_snapshots tbody tr[data-object-id]"):
            if row.get_attribute("data-object-id").startswith(server_id) \
                    and row.find_elements(
                        By.CSS_SELECTOR, ".consistency-stage"
                        "[data-stage='done']") and not row.find_elements(
                            By.CSS_SELECTOR,
                            "[data-verdict='still running']"):
                return row
        return False
    return wait(browser, seconds).until(find)


def open_detail(browser, row):
    """Follow the row's "n more" link to the test snapshot's detail page;
    returns the text of its Verdict and Evidence tabs."""
    row.find_element(By.CSS_SELECTOR, "a.consistency-more").click()
    verdict = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".consistency-test-verdict")))
    text = verdict.text
    browser.find_element(By.CSS_SELECTOR,
                         'a[data-target$="__evidence"]').click()
    evidence = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".consistency-test-evidence")))
    return text + "\n" + evidence.text


def test_row_updates_itself_to_a_guest_verified_verdict(browser, horizon,
                                                        cloud):
    prediction = take_test_snapshot(browser, horizon, PROBED)
    assert "filesystem-consistent if the agent" in prediction
    assert "Predicted outcome" in prediction
    # First shown while Nova works, then updated in place by the ajax rows.
    classes, stage = browser.execute_script(
        "var r = document.querySelector("
        "'#test_snapshots tbody tr[data-object-id]');"
        "return [r.className,"
        " r.querySelector('.consistency-stage').dataset.stage];")
    assert "ajax-update" in classes.split() and "warning" in classes.split()
    assert stage in ("requested", "snapshotting", "uploading")
    row = settled_row(browser, PROBED)
    assert "filesystem-consistent" in row.text
    assert "proven by the snapshot (ext4 / clean)" in row.text
    assert "more" in row.find_element(By.CSS_SELECTOR,
                                      "a.consistency-more").text
    assert "freeze seq 1" not in row.text
    assert "warning" not in row.get_attribute("class").split()
    save_screenshot(browser, "test-snapshot-verdict")
    image, = [i for i in cloud.images.values()
              if core_verdict.is_test_snapshot(i)]
    assert image[core_verdict.VERDICT] == "filesystem-consistent"
    assert image[core_verdict.VERIFIED_BY] == "snapshot"
    assert cloud.calls.count("check_snapshot") == 1
    assert cloud.calls.count("create_image") == 1

    # Reloading the tab reads the verdict back from the image: no polling.
    browser.get(horizon.url + "/project/consistency/?tab=consistency__"
                "test_snapshots")
    row = settled_row(browser, PROBED, 30)
    assert "status_up" in row.get_attribute("class")
    assert "filesystem-consistent" in row.text
    # Every item, with its source and strength, one click away.
    detail = open_detail(browser, row)
    assert "proven by the snapshot (ext4 / clean)" in detail
    assert "reported by the guest" in detail
    assert "freeze seq 1 then thaw seq 1, 0.64 s apart" in detail
    save_screenshot(browser, "test-snapshot-detail-evidence")


def test_vanished_snapshot_is_a_failed_verdict_kept_on_the_instance(
        browser, horizon, cloud):
    take_test_snapshot(browser, horizon, NO_CHANNEL)
    row = settled_row(browser, NO_CHANNEL)
    assert "failed" in row.text
    assert "vanished (HTTP 404)" in row.text
    assert "(Glance image status)" in row.text
    save_screenshot(browser, "test-snapshot-failed")
    # The image is gone; the record on the instance keeps the failure.
    browser.get(horizon.url + "/project/consistency/?tab=consistency__"
                "test_snapshots")
    row = settled_row(browser, NO_CHANNEL, 30)
    assert "is gone" in row.text
    assert "status_down" in row.get_attribute("class")
    assert "Predicted cause" in open_detail(browser, row)


def test_freeze_without_thaw_warns_loudly_and_delete(browser, horizon,
                                                     cloud):
    take_test_snapshot(browser, horizon, FROZEN)
    row = settled_row(browser, FROZEN)
    alert = row.find_element(By.CSS_SELECTOR, ".consistency-still-frozen")
    assert "may still be frozen" in alert.text
    browser.get(horizon.url + "/project/consistency/?tab=consistency__"
                "test_snapshots")
    banner = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".consistency-still-frozen-banner")))
    assert "stuck" in banner.text
    save_screenshot(browser, "test-snapshot-still-frozen")

    row = settled_row(browser, FROZEN, 30)
    row.find_element(By.CSS_SELECTOR, ".dropdown-toggle").click()
    row.find_element(By.CSS_SELECTOR, "[id$='__action_delete']").click()
    wait(browser).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, ".modal .btn-danger"))).click()
    wait(browser).until(lambda d: not d.find_elements(
        By.CSS_SELECTOR, "#test_snapshots tbody tr[data-object-id]"))
    assert not [i for i in cloud.images.values()
                if core_verdict.is_test_snapshot(i)]
    assert not cloud.servers[FROZEN]["metadata"]


def test_keep_without_its_box_says_so_then_keeps(browser, horizon, cloud):
    take_test_snapshot(browser, horizon, PROBED)
    settled_row(browser, PROBED)
    browser.get(horizon.url + "/project/consistency/?tab=consistency__"
                "test_snapshots")
    row = settled_row(browser, PROBED, 30)
    row.find_element(By.CSS_SELECTOR, "[id$='__action_keep']").click()
    submit = wait(browser).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, ".modal .modal-footer [type=submit]")))
    submit.click()
    # The box is not ticked: the modal says so (the browser's own check
    # used to block the submit without a word, the input being hidden).
    error = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".modal .has-error")))
    assert "Tick this box to keep the image" in error.text
    save_screenshot(browser, "test-snapshot-keep-unticked")
    image, = [i for i in cloud.images.values()
              if i.get("instance_uuid") == PROBED]
    assert core_verdict.is_test_snapshot(image)

    browser.find_element(By.CSS_SELECTOR,
                         ".modal label[for='id_understood']").click()
    browser.find_element(By.CSS_SELECTOR,
                         ".modal .modal-footer [type=submit]").click()
    wait(browser).until(EC.text_to_be_present_in_element(
        (By.CSS_SELECTOR, ".messages"), "is now a regular snapshot image"))
    assert not core_verdict.is_test_snapshot(image)
    assert image[core_verdict.VERDICT] == "filesystem-consistent"
    assert not cloud.servers[PROBED]["metadata"]


def row_heights(browser):
    from tests.browser.test_images_browser import row_heights as heights
    return heights(browser, "test_snapshots")


def test_rows_are_one_line_with_the_longest_real_content(browser, horizon,
                                                         cloud):
    """The demo's outcomes side by side: proven by the snapshot's bytes, a
    failed snapshot whose image Nova deleted, a guest that may still be
    frozen (the one row with a second line), and a verdict whose image was
    deleted by hand afterwards."""
    for server_id in (PROBED, NO_CHANNEL, FROZEN):
        take_test_snapshot(browser, horizon, server_id)
        settled_row(browser, server_id)
    for image_id, image in list(cloud.images.items()):
        if image.get("instance_uuid") == PROBED and \
                core_verdict.is_test_snapshot(image):
            del cloud.images[image_id]     # deleted by hand
    take_test_snapshot(browser, horizon, PROBED)
    settled_row(browser, PROBED)
    browser.set_window_size(1600, 1000)
    try:
        browser.get(horizon.url + "/project/consistency/?tab=consistency__"
                    "test_snapshots")
        for server_id in (PROBED, NO_CHANNEL, FROZEN):
            settled_row(browser, server_id, 30)
        table = browser.find_element(By.ID, "test_snapshots")
        assert "deleted after the verdict" in table.text
        assert "may still be frozen" in table.text
        assert "vanished (HTTP 404)" in table.text or "is gone" in table.text
        heights = row_heights(browser)
        print("test snapshot row heights:", sorted(heights.values()))
        save_screenshot(browser, "test-snapshots-tab-1600x1000")
        assert len(heights) == 4
        tallest = max(heights, key=heights.get)
        assert heights[tallest] < 80, (tallest, heights[tallest])
    finally:
        browser.set_window_size(1600, 1200)
