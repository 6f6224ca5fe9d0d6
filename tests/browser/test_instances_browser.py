"""The Instances tab in real headless Chromium: the action badge and its
filter, the rebuild confirmation refusing a wrong name, and the guided
rebuild-from-own-snapshot flow: typed name, progress, a stale record
shown with Resume and Discard, a session that expires mid-flow."""
import pytest
from novaclient import exceptions as nova_exc
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests import fakes
from tests import fixtures
from tests.browser.compute_fakes import FakeCompute
from tests.browser.conftest import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
STALE_ID = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def cloud():
    fixed = fixtures.make_image("fixed-image", **GOOD)
    glance = fakes.FakeGlance([fixed])
    compute = FakeCompute(glance, [
        fixtures.server_dict("booted-before-fix", fixed.id, {},
                             server_id=STALE_ID),
        fixtures.server_dict("healthy", fixed.id, GOOD),
    ])
    patchers = fakes.start(glance.patch() + compute.patch())
    yield glance, compute, fixed
    fakes.stop(patchers)


def wait(browser, seconds=60):
    return WebDriverWait(browser, seconds)


def open_tab(browser, horizon, query=""):
    browser.get(horizon.url + "/project/consistency/?tab=consistency__"
                "instances" + query)
    wait(browser).until(EC.presence_of_element_located((By.ID, "instances")))


def row(browser, server_id):
    return browser.find_element(By.ID, "instances__row__%s" % server_id)


def test_badge_and_filter(browser, horizon, cloud):
    open_tab(browser, horizon)
    stale = row(browser, STALE_ID)
    assert "action needed: rebuild needed" in stale.text
    assert "booted without the guest agent channel" in stale.text
    assert "no action needed" in browser.find_element(
        By.XPATH, "//tr[contains(., 'healthy')]").text
    save_screenshot(browser, "instances-tab")

    browser.find_element(By.ID, "instances__action_attention").click()
    wait(browser).until(EC.presence_of_element_located(
        (By.ID, "instances__action_attention")))
    names = [r.get_attribute("data-display") for r in browser.find_elements(
        By.CSS_SELECTOR, "#instances tbody tr[data-object-id]")]
    assert names == ["booted-before-fix"]
    assert "Show all instances" in browser.find_element(
        By.ID, "instances__action_attention").text


def test_rebuild_confirmation_refuses_a_wrong_name(browser, horizon, cloud):
    glance, compute, fixed = cloud
    open_tab(browser, horizon)
    stale = row(browser, STALE_ID)
    action = stale.find_element(
        By.CSS_SELECTOR, "[id$='__action_rebuild_from_image']")
    # Test snapshot is the row's first action; the fixes are in its menu.
    assert not action.is_displayed()
    stale.find_element(By.CSS_SELECTOR, ".dropdown-toggle").click()
    action.click()
    modal = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".modal #id_confirm_name")))
    assert "data on them is lost" in browser.find_element(
        By.CSS_SELECTOR, ".modal").text
    modal.send_keys("healthy")
    browser.find_element(By.CSS_SELECTOR,
                         ".modal .modal-footer [type=submit]").click()
    error = wait(browser).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".modal .has-error, .modal .error")))
    assert "nothing was rebuilt" in error.text
    assert "server_rebuild" not in compute.calls
    save_screenshot(browser, "rebuild-refused")


def open_flow(browser, horizon):
    browser.get(horizon.url + "/project/consistency/instances/%s/"
                "rebuild_from_snapshot/" % STALE_ID)
    return wait(browser).until(EC.element_to_be_clickable(
        (By.ID, "consistency-flow-start")))


def message(browser):
    return browser.find_element(By.ID, "consistency-flow-message").text


def test_guided_flow_needs_the_name_and_shows_each_step(browser, horizon,
                                                         cloud):
    glance, compute, fixed = cloud
    start = open_flow(browser, horizon)
    # Without the typed name nothing starts.
    start.click()
    wait(browser).until(EC.text_to_be_present_in_element(
        (By.ID, "consistency-flow-message"), "Type the instance name"))
    assert compute.calls.count("server_stop") == 0
    browser.find_element(By.ID, "id_confirm_name").send_keys(
        "booted-before-fix")
    browser.find_element(By.ID, "consistency-flow-start").click()
    wait(browser, 120).until(EC.text_to_be_present_in_element(
        (By.ID, "consistency-flow-message"), "Done"))
    states = {li.get_attribute("data-step"): li.get_attribute("class")
              for li in browser.find_elements(
                  By.CSS_SELECTOR, ".consistency-flow-steps li")}
    assert set(states.values()) == {"consistency-step-done"}, states
    save_screenshot(browser, "rebuild-from-snapshot-done")
    assert compute.calls.count("server_stop") == 1
    assert compute.calls.count("snapshot_create") == 1
    assert compute.calls.count("server_rebuild") == 1
    assert compute.calls.count("server_start") == 1
    assert compute.rebuilt_while == ["SHUTOFF"]
    server = compute.servers[STALE_ID]
    assert server["status"] == "ACTIVE"
    assert server["image"]["properties"] == GOOD
    assert "consistency_fix_flow" not in server["metadata"]


def test_stale_record_is_shown_and_never_resumed_silently(browser, horizon,
                                                          cloud):
    glance, compute, fixed = cloud
    # A flow stopped after its snapshot; the user started the instance and
    # used it since.
    compute.user_stop(STALE_ID)
    snapshot_id, _req = compute.create_image(
        None, STALE_ID, "consistency-fix-old",
        {"consistency_fix_flow_snapshot": "v1",
         "consistency_instance": STALE_ID})
    compute.servers[STALE_ID]["metadata"]["consistency_fix_flow"] = \
        "v1;was=running;snapshot=%s" % snapshot_id
    compute.user_start(STALE_ID)
    start = open_flow(browser, horizon)
    stale = browser.find_element(By.ID, "consistency-flow-stale")
    assert stale.is_displayed()
    assert "ran after snapshot %s" % snapshot_id in stale.text
    assert start.text == "Resume"
    assert browser.find_element(By.ID, "consistency-flow-discard") \
        .is_displayed()
    save_screenshot(browser, "rebuild-from-snapshot-stale")
    start.click()       # no name typed: still asks, nothing sent
    wait(browser).until(EC.text_to_be_present_in_element(
        (By.ID, "consistency-flow-message"), "ran after snapshot"))
    assert "server_rebuild" not in compute.calls
    assert "server_stop" not in compute.calls
    browser.find_element(By.ID, "consistency-flow-discard").click()
    wait(browser).until(EC.text_to_be_present_in_element(
        (By.ID, "consistency-flow-message"), "Discarded"))
    assert snapshot_id not in glance.images
    assert "consistency_fix_flow" not in compute.servers[STALE_ID][
        "metadata"]
    assert compute.servers[STALE_ID]["status"] == "ACTIVE"
    assert browser.find_element(By.ID, "consistency-flow-start").text == \
        "Start"


def test_session_expired_mid_flow_says_so(browser, horizon, cloud):
    glance, compute, fixed = cloud
    start = open_flow(browser, horizon)
    compute.fail("server_get", nova_exc.Unauthorized(401, "token expired"))
    browser.find_element(By.ID, "id_confirm_name").send_keys(
        "booted-before-fix")
    start.click()
    wait(browser).until(EC.text_to_be_present_in_element(
        (By.ID, "consistency-flow-message"), "Your session has expired"))
    assert "nothing was lost" in message(browser)
    assert "server_stop" not in compute.calls
    assert "consistency_fix_flow" not in compute.servers[STALE_ID][
        "metadata"]


@pytest.fixture
def twenty():
    """Twenty instances with the longest content the fixtures have: long
    names, raw spellings Nova reads differently, a deleted image,
    volume-backed servers with long volume names, stopped ones."""
    from unittest import mock

    from openstack_dashboard import api

    fixed = fixtures.make_image("ubuntu-24.04-server-cloudimg-amd64-fixed",
                                **GOOD)
    odd = fixtures.make_image("debian-12-genericcloud-amd64-odd-spelling",
                              hw_qemu_guest_agent="enabled",
                              os_require_quiesce=" Yes ")
    glance = fakes.FakeGlance([fixed, odd])
    servers, volumes = [], []
    for i in range(5):
        servers.append(fixtures.server_dict(
            "production-database-primary-eu-west-%02d" % i, fixed.id, {}))
    for i in range(4):
        servers.append(fixtures.server_dict("healthy-web-%02d" % i,
                                            fixed.id, GOOD))
    for i in range(3):
        servers.append(fixtures.server_dict(
            "odd-%02d" % i, odd.id,
            {"hw_qemu_guest_agent": "enabled", "os_require_quiesce": "1"}))
    for i in range(2):
        servers.append(fixtures.server_dict(
            "stopped-batch-worker-%02d" % i, fixed.id, {},
            status="SHUTOFF"))
    servers.append(fixtures.server_dict("image-deleted-long-ago",
                                        "0b9d3f5e-dead-4bee-8000-00000000000f",
                                        {}))
    for i in range(5):
        server = fixtures.server_dict("volume-backed-analytics-node-%02d" % i)
        servers.append(server)
        volumes.append(fixtures.Volume(
            server["id"], GOOD if i % 2 else {},
            name="analytics-node-%02d-root-volume-with-a-long-name" % i))
    assert len(servers) == 20
    compute = FakeCompute(glance, servers)
    patchers = fakes.start(glance.patch() + compute.patch())
    volume_list = mock.patch.object(api.cinder, "volume_list",
                                    lambda request, *a, **k: list(volumes))
    volume_list.start()
    yield servers
    volume_list.stop()
    fakes.stop(patchers)


def test_twenty_rows_fit_in_about_two_screens(browser, horizon, twenty):
    from tests.browser.test_images_browser import row_heights

    browser.set_window_size(1600, 1000)
    try:
        open_tab(browser, horizon)
        heights = row_heights(browser, "instances")
        table = browser.execute_script(
            "return document.getElementById('instances')"
            ".getBoundingClientRect().height")
        document = browser.execute_script(
            "return document.documentElement.scrollHeight")
        print("instances row heights:", sorted(heights.values()))
        print("instances table height: %s, document height: %s" % (
            table, document))
        save_screenshot(browser, "instances-tab-20-rows-1600x1000")
        assert len(heights) == 20
        tallest = max(heights, key=heights.get)
        assert heights[tallest] < 80, (tallest, heights[tallest])
        assert table < 2000
        assert document < 2300
        # No horizontal scrolling either.
        assert browser.execute_script(
            "return document.documentElement.scrollWidth") <= 1600
        browser.execute_script("window.scrollTo(0, 900)")
        save_screenshot(browser, "instances-tab-20-rows-1600x1000-scrolled")

        # The name opens the detail page: every reason and the options.
        browser.execute_script("window.scrollTo(0, 0)")
        stale = twenty[0]
        # A long name is cut to one line; the whole name is the title.
        link = row(browser, stale["id"]).find_element(
            By.CSS_SELECTOR, 'a[href$="/instances/%s/"]' % stale["id"])
        assert link.text.endswith("…")
        assert link.find_element(By.XPATH, "./ancestor::td").get_attribute(
            "title") == stale["name"]
        link.click()
        wait(browser).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, ".consistency-instance-overview")))
        assert "compute API 2.98 or later" in browser.find_element(
            By.CSS_SELECTOR, ".consistency-instance-overview").text
        save_screenshot(browser, "instance-detail-overview")
        browser.find_element(By.CSS_SELECTOR,
                             'a[data-target$="__fix"]').click()
        fix = wait(browser).until(EC.visibility_of_element_located(
            (By.CSS_SELECTOR, ".consistency-instance-fix")))
        assert "data on them is lost" in fix.text
        save_screenshot(browser, "instance-detail-fix")
    finally:
        browser.set_window_size(1600, 1200)
