"""Headless Chromium against the real Horizon of the embedded cloud: log in
as the demo user, take a test snapshot of the healthy demo guest from the
Instances tab, and wait on the Test snapshots tab for the verdict backed by
the guest's probe lines.  The screenshot path is printed."""

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


@pytest.fixture
def chromium():
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
    yield driver
    driver.quit()
    shutil.rmtree(tmp, ignore_errors=True)


def screenshot(driver, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name + ".png")
    driver.save_screenshot(path)
    print("screenshot: %s" % path)
    return path


def test_demo_user_takes_a_test_snapshot_in_real_horizon(cloud, chromium):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    def wait(seconds=120):
        return WebDriverWait(chromium, seconds,
                             ignored_exceptions=(StaleElementReferenceException,))

    server = cloud.server_by_name("demo-healthy")
    cloudlib.wait_agent_ready(cloud, server["id"])
    started = time.time()
    base = cloud.horizon.rstrip("/")
    try:
        chromium.get(base + "/auth/login/")
        wait().until(EC.presence_of_element_located((By.ID, "id_username")))
        chromium.find_element(By.ID, "id_username").send_keys("demo")
        chromium.find_element(By.ID, "id_password").send_keys(
            cloud.env["demo"]["OS_PASSWORD"])
        chromium.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
        wait().until(lambda d: "/auth/login" not in d.current_url)

        # Rows of earlier tests of this instance (another run against the
        # same cloud) are not this test's row.
        chromium.get(base + "/project/consistency/?tab=consistency__test_snapshots")
        wait().until(EC.presence_of_element_located((By.ID, "test_snapshots")))
        earlier = {r.get_attribute("data-object-id") for r in chromium.find_elements(
            By.CSS_SELECTOR, "#test_snapshots tbody tr[data-object-id]")}
        chromium.get(base + "/project/consistency/?tab=consistency__instances")
        wait().until(EC.presence_of_element_located((By.ID, "instances")))
        chromium.find_element(By.ID, "instances__row__%s" % server["id"]) \
            .find_element(By.CSS_SELECTOR, "[id$='__action_test_snapshot']").click()
        prediction = wait().until(EC.visibility_of_element_located(
            (By.ID, "consistency-test-prediction")))
        assert "Predicted outcome" in prediction.text
        chromium.find_element(By.CSS_SELECTOR, ".modal .modal-footer [type=submit]").click()
        wait().until(EC.presence_of_element_located((By.ID, "test_snapshots")))

        def settled(driver):
            for row in driver.find_elements(
                    By.CSS_SELECTOR, "#test_snapshots tbody tr[data-object-id]"):
                row_id = row.get_attribute("data-object-id")
                if row_id.startswith(server["id"]) and row_id not in earlier \
                        and row.find_elements(By.CSS_SELECTOR,
                                              ".consistency-stage[data-stage='done']") \
                        and not row.find_elements(By.CSS_SELECTOR,
                                                  "[data-verdict='still running']"):
                    return row
            return False
        row = wait(420).until(settled)
        text = row.text
        screenshot(chromium, "cloud-horizon-test-snapshot-verdict")
        assert "filesystem-consistent" in text, text
        assert "proven by the snapshot (ext4 / clean)" in text, text
        # The freeze time is the guest's held writes (the root's write was
        # held by Nova's short freeze), not the hook gap.
        assert "(held writes)" in text, text
        assert "writes held while frozen: / " in text, text
        assert "reported by the guest" in text, text
    except Exception:
        screenshot(chromium, "cloud-horizon-test-snapshot-failure")
        raise
    finally:
        # delete the test snapshot images this test made (plugin-marked only)
        for img in cloud.demo.get(cloud.glance + "/v2/images").json()["images"]:
            if core_verdict.is_test_snapshot(img) and img.get("instance_uuid") == server["id"] \
                    and cloudlib.core_timestamp(img.get("created_at")) >= started - 5:
                cloud.delete_image(img["id"])
