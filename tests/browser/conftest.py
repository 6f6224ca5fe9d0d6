"""Real headless Chromium against pytest-django's live server.

Logged in without Keystone the way Horizon's own selenium tests are (a fake
user from Horizon's test data); OpenStack is replaced only at the
``openstack_dashboard.api`` boundary, by small in-memory fakes that keep
state, and any other outgoing HTTP call fails the test."""
import os
import shutil
import socket
import tempfile
from unittest import mock

import pytest

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or
                          "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or
                              "/usr/bin/chromedriver")
ARTIFACTS = os.environ.get("CONSISTENCY_ARTIFACTS", os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "test-artifacts"))


def _missing():
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install .[test])"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return ("%s not found (apt-get install chromium chromium-driver)"
                    % path)
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CONSISTENCY_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Horizon's test settings set a 1 s default socket timeout.
    socket.setdefaulttimeout(60)
    tmp = tempfile.mkdtemp(prefix="consistency-chromium-")
    os.environ["TMPDIR"] = tmp  # Chromium leaves a socket folder there
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1600,1200",
                 "--user-data-dir=%s" % os.path.join(tmp, "profile")):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()
    shutil.rmtree(tmp, ignore_errors=True)


class _TestData(object):
    pass


@pytest.fixture
def horizon(live_server, settings):
    """Horizon with this plugin in the live server, a logged-in member of
    Horizon's test project, and no real OpenStack behind it."""
    from openstack_auth import user as auth_user
    from openstack_auth import utils as auth_utils
    from openstack_dashboard import context_processors
    from openstack_dashboard import theme_settings
    from openstack_dashboard.test import helpers
    from openstack_dashboard.test.test_data import utils as test_data_utils

    settings.COMPRESS_PRECOMPILERS = (
        ("text/scss", "horizon.utils.scss_filter.ScssFilter"),)
    settings.STATICFILES_DIRS = list(settings.STATICFILES_DIRS) + list(
        theme_settings.get_theme_static_dirs(
            settings.AVAILABLE_THEMES, settings.THEME_COLLECTION_DIR,
            settings.ROOT_PATH))
    settings.ROOT_URLCONF = "openstack_dashboard.urls"
    settings.DEBUG = False

    data = _TestData()
    test_data_utils.load_test_data(data)
    tenants = data.tenants.list()

    def get_user(request):
        user = auth_user.User(
            id=data.user.id, token=data.token, user=data.user.name,
            domain_id=data.domain.id, user_domain_name=data.domain.name,
            user_domain_id=data.domain.id, tenant_id=data.tenant.id,
            tenant_name=data.tenant.name,
            service_catalog=data.service_catalog,
            roles=[{"id": "2", "name": "member"}],
            enabled=True, authorized_tenants=tenants,
            endpoint=settings.OPENSTACK_KEYSTONE_URL)
        user._is_system_user = False
        return user

    context = {"authorized_tenants": tenants,
               "JS_CATALOG": context_processors.get_js_catalog(settings)}
    patchers = [
        mock.patch.object(auth_utils, "get_user", get_user),
        mock.patch.object(context_processors, "openstack",
                          lambda request: context),
        mock.patch("requests.Session.send", side_effect=AssertionError(
            "an OpenStack call was not mocked at openstack_dashboard.api")),
    ]
    for patcher in patchers:
        patcher.start()
    auth_utils.patch_middleware_get_user()
    panel_patchers = helpers._apply_panel_mocks()
    yield live_server
    for patcher in list(panel_patchers.values()) + patchers:
        patcher.stop()


def save_screenshot(browser, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name + ".png")
    browser.save_screenshot(path)
    print("screenshot: %s" % path)
    return path
