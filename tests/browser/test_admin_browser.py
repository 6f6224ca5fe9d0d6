"""Admin > Snapshot Consistency in real headless Chromium, logged in as an
admin: the audit filters, the CSV export of the filtered rows, and the
diagnosis page reached through the UUID search box.  OpenStack is a small
in-memory cloud at the openstack_dashboard.api / consistency_dashboard.api
boundary."""
import csv
import io
from unittest import mock

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.ui import WebDriverWait

from openstack_dashboard import api

from consistency_dashboard.api import actions as action_calls
from consistency_dashboard.api import servers as server_calls
from tests import fixtures
from tests.browser.conftest import save_screenshot
from tests.test_admin_data import GOOD
from tests.test_admin_data import admin_server
from tests.test_admin_data import project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STALE_ID = "11111111-2222-4333-8444-555555555555"
PROBE = ("[  812.004211] CONSISTENCY-PROBE v1 event=freeze seq=1 mono=812.00 "
         "wall=1763790012.41 apps=-\n"
         "[  812.713925] CONSISTENCY-PROBE v1 event=thaw seq=1 mono=812.71 "
         "wall=1763790013.12 apps=-\n")


class FakeCloud(object):
    """Three projects, one fixed image, instances booted before and after
    the fix, one volume-backed; the calls are recorded."""

    def __init__(self):
        self.calls = []
        self.projects = [project("pa", "Acme <b>Corp</b>"),
                         project("pb", "Beta"), project("pc", "Gamma")]
        self.image = fixtures.make_image("fixed-image", owner="pa",
                                         visibility="public", **GOOD)
        self.old_image = fixtures.make_image("plain-image", owner="pb")
        self.servers = [
            admin_server("acme-stale", "pa", self.image.id, {},
                         server_id=STALE_ID, host="cmp-7"),
            admin_server("acme-healthy", "pa", self.image.id, GOOD),
            admin_server("beta-stale", "pb", self.image.id, {}),
            admin_server("beta-plain", "pb", self.old_image.id, {}),
            admin_server("gamma-volume", "pc"),
        ]
        self.volumes = [fixtures.Volume(self.servers[-1]["id"], {},
                                        name="gamma-root")]
        # Snapshots (Recent snapshots lists them, the audit leaves them out).
        self.snapshots = []

    def compute_version_range(self, request):
        return "2.1", "2.103"

    def server_list_all_tenants_page(self, request, marker=None,
                                     search_opts=None, page_size=1000,
                                     **kwargs):
        self.calls.append(("servers", dict(search_opts or {}), marker))
        project_id = (search_opts or {}).get("project_id")
        found = [s for s in self.servers
                 if not project_id or s["tenant_id"] == project_id]
        return found, False

    def server_get(self, request, server_id, **kwargs):
        for server in self.servers:
            if server["id"] == server_id:
                return server
        raise AssertionError("unknown server")

    def server_list(self, request, search_opts=None, **kwargs):
        self.calls.append(("server_list", dict(search_opts or {})))
        image_id = (search_opts or {}).get("image")
        return [s for s in self.servers
                if (s.get("image") or {}).get("id") == image_id], False

    def tenant_list(self, request, **kwargs):
        self.calls.append(("projects",))
        return self.projects, False

    def tenant_get(self, request, project_id, admin=True):
        return {p.id: p for p in self.projects}[project_id]

    def image_list_detailed(self, request, marker=None, filters=None,
                            **kwargs):
        self.calls.append(("images", dict(filters or {})))
        if (filters or {}).get("instance_uuid"):
            return [], False, False
        return [self.image, self.old_image] + self.snapshots, False, False

    def image_get(self, request, image_id):
        return {i.id: i for i in [self.image, self.old_image] +
                self.snapshots}[image_id]

    def volume_list(self, request, search_opts=None, **kwargs):
        return self.volumes

    def instance_action_list(self, request, server_id):
        from novaclient.v2 import instance_action
        return [instance_action.InstanceAction(None, {
            "action": "createImage", "request_id": "req-snap-1",
            "start_time": "2026-11-21T10:00:00.000000", "message": None},
            loaded=True)]

    def instance_action_get(self, request, server_id, request_id,
                            microversion=None):
        return {"action": "createImage", "request_id": request_id,
                "start_time": "2026-11-21T10:00:00.000000",
                "events": [{"event": "compute_snapshot_instance",
                            "result": "Success", "details": None,
                            "traceback": "Traceback: admin-only detail"}]}

    def server_console_output(self, request, server_id, tail_length=None):
        return PROBE

    def patch(self):
        targets = {server_calls: ("compute_version_range",
                                  "server_list_all_tenants_page",
                                  "server_get"),
                   action_calls: ("instance_action_get",),
                   api.keystone: ("tenant_list", "tenant_get"),
                   api.glance: ("image_list_detailed", "image_get"),
                   api.cinder: ("volume_list",),
                   api.nova: ("instance_action_list",
                              "server_console_output", "server_list")}
        return [mock.patch.object(module, name, getattr(self, name))
                for module, names in targets.items() for name in names]


@pytest.fixture
def admin_horizon(horizon):
    """The conftest's live Horizon, with the fake user given the admin role
    (the member fixture itself is unchanged)."""
    from openstack_auth import utils as auth_utils
    member_get_user = auth_utils.get_user

    def get_user(request):
        user = member_get_user(request)
        user.roles = [{"id": "1", "name": "admin"},
                      {"id": "2", "name": "member"}]
        return user

    with mock.patch.object(auth_utils, "get_user", get_user):
        yield horizon


@pytest.fixture
def cloud():
    fake = FakeCloud()
    patchers = fake.patch()
    for patcher in patchers:
        patcher.start()
    yield fake
    for patcher in patchers:
        patcher.stop()


def wait(browser, seconds=60):
    return WebDriverWait(browser, seconds)


def instance_names(browser):
    return sorted(r.get_attribute("data-display") for r in
                  browser.find_elements(
                      By.CSS_SELECTOR,
                      "#audit_instances tbody tr[data-object-id]"))


def open_audit(browser, horizon):
    browser.get(horizon.url + "/admin/consistency/")
    wait(browser).until(EC.presence_of_element_located(
        (By.ID, "consistency-summary")))


def test_audit_filters(browser, admin_horizon, cloud):
    open_audit(browser, admin_horizon)
    assert instance_names(browser) == sorted(s["name"] for s in
                                             cloud.servers)
    summary = browser.find_element(By.ID, "consistency-summary").text
    assert "Counts of what this page loaded: 5 instances" in summary
    # Project names render as text.
    assert "Acme <b>Corp</b>" in browser.find_element(
        By.ID, "audit_instances").text
    save_screenshot(browser, "admin-audit")

    Select(browser.find_element(By.ID, "filter-project")).select_by_value(
        "pb")
    browser.find_element(By.ID, "filter-attention").click()
    browser.find_element(By.ID, "filter-apply").click()
    wait(browser).until(EC.presence_of_element_located((By.ID,
                                                        "filter-clear")))
    assert instance_names(browser) == ["beta-plain", "beta-stale"]
    stale = browser.find_element(By.XPATH, "//tr[contains(., 'beta-stale')]")
    assert "action needed: rebuild needed" in stale.text
    assert "Beta" in stale.text
    assert ("servers", {"project_id": "pb"}, None) in cloud.calls

    Select(browser.find_element(By.ID, "filter-project")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-boot")).select_by_value(
        "volume")
    browser.find_element(By.ID, "filter-apply").click()
    wait(browser).until(EC.text_to_be_present_in_element(
        (By.ID, "consistency-scope"), "The filters show 1 of"))
    assert instance_names(browser) == ["gamma-volume"]
    assert "gamma-root" in browser.find_element(By.ID, "audit_instances").text
    save_screenshot(browser, "admin-audit-filtered")


def test_export_csv_has_the_filtered_rows(browser, admin_horizon, cloud):
    browser.get(admin_horizon.url + "/admin/consistency/?attention=1"
                "&boot=image")
    wait(browser).until(EC.presence_of_element_located(
        (By.ID, "export-instances-csv")))
    shown = instance_names(browser)
    assert shown == ["acme-stale", "beta-plain", "beta-stale"]
    link = browser.find_element(By.ID, "export-instances-csv")
    href = link.get_attribute("href")
    assert "attention=1" in href and "boot=image" in href
    # Fetch the link in the browser, with its session.
    text = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'})"
        ".then(function (r) { return r.text(); }).then(done);", href)
    records = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["name"] for r in records) == shown
    by_name = {r["name"]: r for r in records}
    assert by_name["acme-stale"]["project_name"] == "Acme <b>Corp</b>"
    assert by_name["acme-stale"]["host"] == "cmp-7"
    assert by_name["acme-stale"]["badge"] == "action needed: rebuild needed"
    assert by_name["beta-plain"]["predicted_outcome"] == \
        "crash-consistent only"


def test_diagnosis_from_the_search_box(browser, admin_horizon, cloud):
    open_audit(browser, admin_horizon)
    box = browser.find_element(By.ID, "consistency-instance-uuid")
    box.send_keys(STALE_ID)
    browser.find_element(By.ID, "consistency-diagnose").click()
    wait(browser).until(EC.presence_of_element_located(
        (By.ID, "consistency-explanation")))
    assert browser.current_url.endswith("/diagnosis/%s/" % STALE_ID)
    page = browser.find_element(By.ID, "consistency-diagnosis").text
    assert "cmp-7" in page
    assert "Acme <b>Corp</b>" in page
    assert "Success even when the snapshot fails" in page
    assert "nova-manage image_property set %s" % STALE_ID in page
    assert "1 freeze/thaw pairs" in page
    reading = browser.find_element(By.CSS_SELECTOR,
                                   "#diagnosis-readings tr[data-request]")
    assert "failed" in reading.text
    # The traceback is folded until asked for.
    traceback = reading.find_element(By.CSS_SELECTOR, ".consistency-traceback")
    assert not traceback.is_displayed()
    reading.find_element(By.TAG_NAME, "summary").click()
    assert "admin-only detail" in traceback.text
    explanation = browser.find_element(By.ID, "consistency-explanation")
    text = explanation.get_attribute("value")
    assert text.startswith("Instance acme-stale (%s) in project Acme <b>Corp"
                           "</b>" % STALE_ID)
    assert "rebuild needed" in text
    save_screenshot(browser, "admin-diagnosis")


def test_member_does_not_see_the_panel(browser, horizon, cloud):
    browser.get(horizon.url + "/project/")
    wait(browser).until(EC.presence_of_element_located((By.ID, "sidebar")))
    links = [a.get_attribute("href") for a in browser.find_elements(
        By.CSS_SELECTOR, "#sidebar a")]
    assert not [h for h in links if h and "/admin/consistency" in h]
    browser.get(horizon.url + "/admin/consistency/")
    assert "consistency-summary" not in browser.page_source
    assert "acme-stale" not in browser.page_source
    assert not [c for c in cloud.calls if c[0] == "servers"]


def row_heights(browser, table_id):
    from tests.browser.test_images_browser import row_heights as heights
    return heights(browser, table_id)


def _demo_snapshots(cloud):
    """Two test snapshots with the demo's verdicts as the core words them
    (proven by the bytes; crash-consistent with a contradiction) and a
    snapshot the dashboard did not make."""
    import datetime
    from consistency_dashboard.core import verdict as core_verdict
    now = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=datetime.timezone.utc)
    found = []
    for name, level, proof, cause in (
            ("acme-stale-test", core_verdict.Level.FILESYSTEM_CONSISTENT,
             "proven by the snapshot (ext4 / clean)",
             "The snapshot's own bytes prove it: ext4 on the whole disk in "
             "the snapshot has a clean journal (needs_recovery clear), which "
             "a copy of a mounted read-write filesystem has only when it was "
             "frozen or cleanly unmounted."),
            ("beta-stale-test", core_verdict.Level.CRASH_CONSISTENT,
             "shown by the snapshot (ext4 / needs-recovery)",
             "ext4 on the whole disk: journal needs recovery in the "
             "snapshot, so the copy was taken while the filesystem was "
             "mounted and not frozen, like pulling the power plug.")):
        verdict = core_verdict.Verdict(
            level, cause, (core_verdict.EvidenceItem("x", "y"),),
            "Test again.", rests_on=core_verdict.SRC_BYTES,
            strength=core_verdict.Strength.SNAPSHOT_BYTES, proof=proof)
        props = core_verdict.marker_metadata(now, STALE_ID)
        props.update(core_verdict.image_properties_for(verdict, now))
        found.append(fixtures.make_image(
            name, owner="pa", image_type="snapshot", instance_uuid=STALE_ID,
            **props))
    found.append(fixtures.make_image("nightly-backup-of-acme-stale",
                                     owner="pa", image_type="snapshot",
                                     instance_uuid=STALE_ID))
    cloud.snapshots.extend(found)
    return found


def test_admin_rows_are_one_line(browser, admin_horizon, cloud):
    """The audit's instances and images and the recent snapshots at 1600 x
    1000: every row under 80 px (about two lines of text), the image name
    opening the admin image detail page."""
    _demo_snapshots(cloud)
    browser.set_window_size(1600, 1000)
    try:
        open_audit(browser, admin_horizon)
        measured = {}
        for table in ("audit_instances", "audit_images"):
            measured[table] = row_heights(browser, table)
        save_screenshot(browser, "admin-audit-1600x1000")
        browser.get(admin_horizon.url + "/admin/consistency/snapshots/")
        wait(browser).until(EC.presence_of_element_located(
            (By.ID, "recent_snapshots")))
        measured["recent_snapshots"] = row_heights(browser,
                                                   "recent_snapshots")
        text = browser.find_element(By.ID, "recent_snapshots").text
        assert "proven by the snapshot (ext4 / clean)" in text
        assert "like pulling the power plug" not in text
        save_screenshot(browser, "admin-snapshots-1600x1000")
        for table, heights in measured.items():
            print("%s row heights: %s" % (table, sorted(heights.values())))
        assert len(measured["audit_instances"]) == len(cloud.servers)
        assert len(measured["audit_images"]) == 2
        assert len(measured["recent_snapshots"]) == 5
        for table, heights in measured.items():
            tallest = max(heights, key=heights.get)
            assert heights[tallest] < 80, (table, tallest, heights[tallest])

        open_audit(browser, admin_horizon)
        images = browser.find_element(By.ID, "audit_images")
        assert "Nova never reports" not in images.text
        images.find_element(By.LINK_TEXT, "plain-image").click()
        wait(browser).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, ".consistency-image-overview")))
        overview = browser.find_element(By.CSS_SELECTOR,
                                        ".consistency-image-overview").text
        assert "Snapshots of running instances are crash-consistent only." \
            in overview
        assert "Beta" in overview
        browser.find_element(By.CSS_SELECTOR,
                             'a[data-target$="__why"]').click()
        why = wait(browser).until(EC.visibility_of_element_located(
            (By.CSS_SELECTOR, ".consistency-image-why")))
        assert "like pulling the power plug" in why.text
        save_screenshot(browser, "admin-image-detail-why")
    finally:
        browser.set_window_size(1600, 1200)
