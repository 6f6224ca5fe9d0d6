"""Headless Chromium against the real Horizon of the embedded cloud: log in
as the demo user, take a test snapshot of a demo guest from the Instances
tab (the healthy image-backed one, and a volume-backed one whose snapshot
Nova refuses), and wait on the Test snapshots tab for the verdict; then, as
admin, read the diagnosis page of the refused volume-backed guest.  The
screenshot paths are printed."""

import contextlib
import os
import shutil
import tempfile
import time

import pytest

from consistency_dashboard.core import verdict as core_verdict
from tests.cloud import cloudlib

pytestmark = pytest.mark.cloud

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or
                              "/usr/bin/chromedriver")
ARTIFACTS = os.environ.get("CONSISTENCY_ARTIFACTS", os.path.join(cloudlib.REPO, "test-artifacts"))


@contextlib.contextmanager
def chromium_session():
    """A headless Chromium of its own (its own profile: its own login)."""
    missing = None
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing = "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not missing and not os.path.exists(path):
            missing = "%s not found (apt-get install chromium chromium-driver)" % path
    if missing:
        cloudlib.require_cloud_or_skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    tmp = tempfile.mkdtemp(prefix="consistency-cloud-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1600,1200",
                 "--user-data-dir=%s" % os.path.join(tmp, "profile")):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(180)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def chromium():
    with chromium_session() as driver:
        yield driver


def screenshot(driver, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name + ".png")
    driver.save_screenshot(path)
    print("screenshot: %s" % path)
    return path


def waiter(driver):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    def wait(seconds=120):
        return WebDriverWait(driver, seconds,
                             ignored_exceptions=(StaleElementReferenceException,))
    return wait


def log_in(driver, cloud, who):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    wait = waiter(driver)
    base = cloud.horizon.rstrip("/")
    driver.get(base + "/auth/login/")
    wait().until(EC.presence_of_element_located((By.ID, "id_username")))
    driver.find_element(By.ID, "id_username").send_keys(cloud.env[who]["OS_USERNAME"])
    driver.find_element(By.ID, "id_password").send_keys(cloud.env[who]["OS_PASSWORD"])
    driver.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    wait().until(lambda d: "/auth/login" not in d.current_url)
    return base


def start_test_snapshot(driver, cloud, server):
    """Log in as demo and start a test snapshot of ``server`` from its row
    on the Instances tab; return the ids of the Test snapshots rows that
    were there before (another run's rows of the same instance)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    wait = waiter(driver)
    base = log_in(driver, cloud, "demo")
    driver.get(base + "/project/consistency/?tab=consistency__test_snapshots")
    wait().until(EC.presence_of_element_located((By.ID, "test_snapshots")))
    earlier = {r.get_attribute("data-object-id") for r in driver.find_elements(
        By.CSS_SELECTOR, "#test_snapshots tbody tr[data-object-id]")}
    driver.get(base + "/project/consistency/?tab=consistency__instances")
    wait().until(EC.presence_of_element_located((By.ID, "instances")))
    driver.find_element(By.ID, "instances__row__%s" % server["id"]) \
        .find_element(By.CSS_SELECTOR, "[id$='__action_test_snapshot']").click()
    prediction = wait().until(EC.visibility_of_element_located(
        (By.ID, "consistency-test-prediction")))
    assert "Predicted outcome" in prediction.text
    driver.find_element(By.CSS_SELECTOR, ".modal .modal-footer [type=submit]").click()
    wait().until(EC.presence_of_element_located((By.ID, "test_snapshots")))
    return earlier


def snapshot_from_the_instances_tab(driver, cloud, server, settle=420):
    """The text of the Test snapshots row a test snapshot of ``server``
    started from the Instances tab made, once its verdict is in."""
    from selenium.webdriver.common.by import By
    earlier = start_test_snapshot(driver, cloud, server)

    def settled(d):
        for row in d.find_elements(
                By.CSS_SELECTOR, "#test_snapshots tbody tr[data-object-id]"):
            row_id = row.get_attribute("data-object-id")
            if row_id.startswith(server["id"]) and row_id not in earlier \
                    and row.find_elements(By.CSS_SELECTOR,
                                          ".consistency-stage[data-stage='done']") \
                    and not row.find_elements(By.CSS_SELECTOR,
                                              "[data-verdict='still running']"):
                return row
        return False
    return waiter(driver)(settle).until(settled).text


def forget_test_snapshots(cloud, server, started):
    """Delete the test snapshot images a test made (plugin-marked only)."""
    for img in cloud.demo.get(cloud.glance + "/v2/images").json()["images"]:
        if core_verdict.is_test_snapshot(img) and img.get("instance_uuid") == server["id"] \
                and cloudlib.core_timestamp(img.get("created_at")) >= started - 5:
            cloud.delete_image(img["id"])


# As in test_verdict_cloud: Nova's short freeze does not always hold the
# watcher's write.  Each test snapshot's page is checked against the
# guest's own thaw line; up to this many are taken to see a held write.
HELD_WRITE_ATTEMPTS = 2


def test_demo_user_takes_a_test_snapshot_in_real_horizon(cloud, chromium):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    server = cloud.server_by_name("demo-healthy")
    cloudlib.wait_agent_ready(cloud, server["id"])
    started = time.time()
    try:
        for attempt in range(1, HELD_WRITE_ATTEMPTS + 1):
            if attempt > 1:
                chromium.delete_all_cookies()   # log_in starts signed out
            text = snapshot_from_the_instances_tab(chromium, cloud, server)
            screenshot(chromium, "cloud-horizon-test-snapshot-verdict")
            assert "filesystem-consistent" in text, text
            assert "proven by the snapshot (ext4 / clean)" in text, text
            # The row is one line; the test's name opens its detail page,
            # where every evidence item is.  The freeze time is the guest's
            # held writes when the root's write was held by Nova's short
            # freeze, else the hook gap, said so.
            chromium.find_element(By.LINK_TEXT, text.split()[0]).click()
            waiter(chromium)().until(EC.presence_of_element_located(
                (By.CSS_SELECTOR, ".detail, .tab-content")))
            detail = chromium.find_element(By.TAG_NAME, "body").text
            screenshot(chromium, "cloud-horizon-test-snapshot-detail")
            chromium.find_element(By.LINK_TEXT, "Evidence").click()
            evidence = chromium.find_element(By.TAG_NAME, "body").text
            assert "reported by the guest" in evidence, evidence
            _seq, held, _free = cloudlib.guest_thaw(cloud, server["id"])
            if "/" in held:
                assert "(held writes)" in detail, (held, detail)
                assert "writes held while frozen: / " in evidence, evidence
                break
            assert "(held writes)" not in detail, detail
            assert "writes held while frozen" not in evidence, evidence
            assert "(hook gap)" in detail, detail
            print("attempt %d: no held write in the freeze" % attempt)
    except Exception:
        screenshot(chromium, "cloud-horizon-test-snapshot-failure")
        raise
    finally:
        forget_test_snapshots(cloud, server, started)


def volume_backed(cloud, name):
    if cloud.cinder is None:
        cloudlib.require_cloud_or_skip("the demo cloud runs without volumes "
                                       "(CONSISTENCY_DEMO_VOLUMES=0)")
    server = cloud.server_by_name(name)
    assert not server.get("image"), "%s should be volume-backed" % name
    return server


def test_a_refused_volume_backed_snapshot_in_real_horizon_and_its_admin_diagnosis(
        cloud, chromium):
    """The boot volume's image asks for os_require_quiesce without the agent
    channel: Nova refuses createImage with 400 in the API call, and records
    no instance action at all (snapshot_volume_backed quiesces before
    _record_action_start).  The demo user is told so in Nova's words and no
    test row is listed (nothing was created); the admin's diagnosis page
    says the server is volume-backed and has no createImage action."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    server = volume_backed(cloud, "demo-volume-no-agent")
    try:
        earlier = start_test_snapshot(chromium, cloud, server)
        error = waiter(chromium)(240).until(EC.visibility_of_element_located(
            (By.XPATH, "//*[contains(@class, 'alert-danger')]"
                       "[contains(., 'Nova refused the test snapshot')]")))
        screenshot(chromium, "cloud-horizon-volume-refused")
        assert "demo-volume-no-agent" in error.text, error.text
        assert "QEMU guest agent is not enabled" in error.text, error.text
        assert "nothing was created" in error.text, error.text
        rows = {r.get_attribute("data-object-id") for r in chromium.find_elements(
            By.CSS_SELECTOR, "#test_snapshots tbody tr[data-object-id]")}
        assert not {r for r in rows - earlier if r.startswith(server["id"])}, rows

    except Exception:
        screenshot(chromium, "cloud-horizon-volume-refused-failure")
        raise
    with chromium_session() as admin:
        try:
            base = log_in(admin, cloud, "admin")
            admin.get(base + "/admin/consistency/diagnosis/%s/" % server["id"])
            page = waiter(admin)().until(EC.presence_of_element_located(
                (By.ID, "consistency-diagnosis")))
            explanation = admin.find_element(By.ID, "consistency-explanation") \
                .get_attribute("value")
            screenshot(admin, "cloud-horizon-volume-refused-diagnosis")
            assert "demo-volume-no-agent (%s)" % server["id"] in explanation, explanation
            assert "is volume-backed" in explanation, explanation
            assert "boot volume's image metadata" in explanation, explanation
            # refused in the API call: no createImage action, so no reading
            assert "Nova recorded no createImage action for it" in explanation, explanation
            assert not admin.find_elements(By.CSS_SELECTOR, "#diagnosis-readings tr[data-request]")
            assert "demo-volume-no-agent" in page.text
        except Exception:
            screenshot(admin, "cloud-horizon-volume-refused-diagnosis-failure")
            raise


def test_admin_diagnosis_reads_a_volume_backed_snapshot_by_its_api_event(cloud, chromium):
    """A volume-backed snapshot Nova accepted: its createImage action carries
    ``api_snapshot_instance`` (the API's own work, not moved to the
    background like ``compute_snapshot_instance`` from Nova 33), so the
    diagnosis page reads its Success as proof that the snapshot was made."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    server = volume_backed(cloud, "demo-volume-healthy")
    cloudlib.wait_agent_ready(cloud, server["id"])
    _verdict, evidence, image, _seconds = cloudlib.run_test_snapshot(cloud, server["id"])
    try:
        assert evidence.nova.accepted, evidence.nova
        assert [e.get("event") for e in evidence.events] == ["api_snapshot_instance"], \
            evidence.events
        actions = cloud.admin.get(cloud.nova + "/servers/%s/os-instance-actions" % server["id"],
                                  headers=cloudlib.NOVA_HEADERS).json()["instanceActions"]
        request = max((a for a in actions if a["action"] == "createImage"),
                      key=lambda a: a["start_time"])["request_id"]
        base = log_in(chromium, cloud, "admin")
        chromium.get(base + "/admin/consistency/diagnosis/%s/" % server["id"])
        row = waiter(chromium)().until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "#diagnosis-readings tr[data-request='%s']" % request)))
        screenshot(chromium, "cloud-horizon-volume-diagnosis")
        assert "consistency-reading-succeeded" in row.get_attribute("class"), row.text
        assert "Success" in row.text and "api_snapshot_instance" in row.text, row.text
        explanation = chromium.find_element(By.ID, "consistency-explanation") \
            .get_attribute("value")
        assert "is volume-backed" in explanation, explanation
    except Exception:
        screenshot(chromium, "cloud-horizon-volume-diagnosis-failure")
        raise
    finally:
        if image is not None:
            cloudlib.forget_volume_snapshot(cloud, image)
