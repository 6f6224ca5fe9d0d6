"""The Guest setup tab, its downloads and the cloud-init generator.

The tab makes no OpenStack call: every public function of every
``openstack_dashboard.api`` module (and of this plugin's REST helpers) is
replaced for each test by one that records the call and raises, and each
test fails if anything was recorded (also when the caller swallowed the
error).  Horizon's own guard (a failing ``HTTPConnection.connect``) stays in
place behind it."""
import html
import inspect
import itertools
import pkgutil
import re
from unittest import mock

import yaml

from django.urls import reverse

import openstack_dashboard.api
from openstack_dashboard.test import helpers as test

from consistency_dashboard.api import actions as action_calls
from consistency_dashboard.api import images as image_calls
from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.api import volumes as volume_calls
from consistency_dashboard import guest
from consistency_dashboard.dashboards.project.consistency.guest_setup \
    import tabs as guest_tabs
from consistency_dashboard.guest import cloud_init

INDEX_URL = reverse("horizon:project:consistency:index")
TAB_URL = INDEX_URL + "?tab=consistency__guest_setup"
USER_DATA_URL = reverse("horizon:project:consistency:guest_user_data")
FAMILIES = ("debian", "rhel")
APP_SUBSETS = [combo for n in range(len(cloud_init.APPS) + 1)
               for combo in itertools.combinations(cloud_init.APPS, n)]
PRE_RE = re.compile(r'<pre class="consistency-guest-user-data" '
                    r'id="consistency-guest-user-data"[^>]*>(.*?)</pre>',
                    re.S)


def script_url(name):
    return reverse("horizon:project:consistency:guest_script", args=(name,))


def _api_modules():
    modules = [server_calls, action_calls, image_calls, volume_calls]
    for info in pkgutil.iter_modules(openstack_dashboard.api.__path__):
        # base: catalog/settings helpers (no call); rest: Horizon's own REST
        # views, not client calls.
        if info.name in ("base", "rest", "microversions"):
            continue
        modules.append(__import__("openstack_dashboard.api." + info.name,
                                  fromlist=["_"]))
    return modules


# Called by Horizon's page chrome (navigation) on every page; they read the
# token and the policy files, they make no request.
NO_REQUEST = {
    "openstack_dashboard.api.keystone.is_domain_admin",
}


class ApiCallGuard(object):
    """Replaces every function defined in the API modules."""

    def __init__(self):
        self.calls = []
        self._patchers = []

    def _fake(self, qualname):
        def fake(*args, **kwargs):
            self.calls.append(qualname)
            raise AssertionError("OpenStack API call from the Guest setup "
                                 "tab: %s" % qualname)
        return fake

    def start(self):
        for module in _api_modules():
            for name, func in inspect.getmembers(module, inspect.isfunction):
                if func.__module__ != module.__name__ or name.startswith("_"):
                    continue
                if "%s.%s" % (module.__name__, name) in NO_REQUEST:
                    continue
                patcher = mock.patch.object(
                    module, name, self._fake("%s.%s" % (module.__name__,
                                                        name)))
                patcher.start()
                self._patchers.append(patcher)
        return self

    def stop(self):
        for patcher in reversed(self._patchers):
            patcher.stop()


class GuestSetupTestCase(test.TestCase):

    def setUp(self):
        super().setUp()
        self.api_guard = ApiCallGuard().start()
        self.addCleanup(self.api_guard.stop)

    def tearDown(self):
        calls = list(self.api_guard.calls)
        super().tearDown()
        self.assertEqual([], calls, "the Guest setup tab called OpenStack")

    def user_data_in(self, response):
        found = PRE_RE.findall(response.content.decode())
        self.assertEqual(1, len(found), "exactly one user-data <pre>")
        return html.unescape(found[0])


class ApiGuardTests(GuestSetupTestCase):
    """The guard itself: without it the "no API call" claim is empty."""

    def test_guard_catches_a_call_even_when_swallowed(self):
        self.assertGreater(len(self.api_guard._patchers), 100)
        for call in (lambda: openstack_dashboard.api.nova.server_list(None),
                     lambda: openstack_dashboard.api.glance.image_get(None, 1),
                     lambda: server_calls.server_list_page(None)):
            with self.assertRaises(AssertionError):
                call()
        self.assertEqual(
            ["openstack_dashboard.api.nova.server_list",
             "openstack_dashboard.api.glance.image_get",
             "consistency_dashboard.api.servers.server_list_page"],
            self.api_guard.calls)
        self.api_guard.calls.clear()  # this test's calls were on purpose


class GuestSetupTabTests(GuestSetupTestCase):

    def test_tab_renders_scripts_families_windows_and_probe_format(self):
        res = self.client.get(TAB_URL)

        self.assertEqual(200, res.status_code)
        self.assertTemplateUsed(
            res, "consistency_dashboard/project/guest_setup/_tab.html")
        tab = res.context["tab_group"].get_tab("guest_setup")
        self.assertEqual("Guest setup", str(tab.name))
        self.assertFalse(tab.preload)
        content = res.content.decode()
        self.assertIn("reported by the guest", content)
        self.assertIn("Nova never reports whether the guest's "
                      "filesystems were frozen", content)
        offered = [s.name for s in guest.list_scripts()]
        self.assertEqual(["mysql", "postgresql", "probe"], sorted(offered))
        for script in guest.list_scripts():
            self.assertIn('href="%s"' % script_url(script.name), content)
            self.assertIn(script.filename, content)
            self.assertIn(html.escape(script.description), content)
            for family in FAMILIES:
                self.assertIn("<code>%s</code>" % script.install_path(family),
                              content)
        # The test hook is for test guests: not offered.
        self.assertNotIn(script_url("testapp"), content)
        self.assertNotIn("50-consistency-testapp", content)
        for family in cloud_init.FAMILIES.values():
            self.assertIn("<code>%s</code>" % family.hook_dir, content)
            for note in family.notes:
                self.assertIn(html.escape(note), content)
        self.assertIn("virt_qemu_ga_run_unconfined", content)
        self.assertIn("Configuration &gt; Customization Script", content)
        # Windows: the notes as HTML built from escaped text.
        self.assertIn("<strong>10 seconds</strong>", content)
        self.assertIn("<code>hw_qemu_guest_agent=yes</code>", content)
        self.assertIn("Volume Shadow Copy Service", content)
        # Probe format summary and where it is documented.
        self.assertIn("CONSISTENCY-PROBE v2 event=freeze seq=3", content)
        self.assertIn("held=/:1.19", content)
        self.assertIn("Probe line format (version %d)"
                      % guest.PROBE_FORMAT_VERSION, content)
        self.assertIn("Console probe", content)
        self.assertIn("docs/probe-format.md", content)
        self.assertIn("consistency_dashboard/js/guest_setup.js", content)

    def test_default_user_data_is_debian_with_both_hooks(self):
        res = self.client.get(TAB_URL)
        self.assertEqual(guest.cloud_init_user_data(
            family="debian", apps=cloud_init.APPS), self.user_data_in(res))
        self.assertEqual(("mysql", "postgresql"), cloud_init.APPS)
        self.assertIn('href="%s?family=debian&amp;apps=mysql&amp;'
                      'apps=postgresql&amp;generate=1"' % USER_DATA_URL,
                      res.content.decode())

    def test_tab_loads_alone_by_ajax(self):
        res = self.client.get(TAB_URL, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertEqual(200, res.status_code)
        content = res.content.decode()
        self.assertIn('id="consistency-guest-setup"', content)
        self.assertNotIn("<html", content)
        self.assertIn("consistency_dashboard/js/guest_setup.js", content)

    def test_launch_step_hint_only_where_the_step_is_enabled(self):
        from horizon import conf
        modules = list(conf.HORIZON_CONFIG["angular_modules"] or [])
        without = [m for m in modules if m != guest_tabs.LAUNCH_STEP_MODULE]
        for listed, shown in ((without, False),
                              (without + [guest_tabs.LAUNCH_STEP_MODULE],
                               True)):
            with mock.patch.dict(conf.HORIZON_CONFIG._wrapped,
                                 {"angular_modules": listed}):
                res = self.client.get(TAB_URL)
            content = res.content.decode()
            self.assertEqual(shown,
                             'id="consistency-guest-launch-step"' in content)
            # The manual way is always explained.
            self.assertIn("Configuration &gt; Customization Script", content)

    def test_downloads_need_a_login(self):
        from django.contrib.auth import models as auth_models
        from openstack_auth import utils as auth_utils
        with mock.patch.object(auth_utils, "get_user",
                               lambda request: auth_models.AnonymousUser()):
            for url in (script_url("probe"), USER_DATA_URL + "?family=rhel"):
                res = self.client.get(url)
                self.assertEqual(302, res.status_code, url)
                self.assertIn("/auth/login/", res["Location"])
                self.assertNotIn(b"CONSISTENCY", res.content)

    def test_windows_notes_cannot_inject_markup(self):
        evil = ("<script>alert(1)</script> **<b>x</b>** and "
                "`<img src=x onerror=alert(2)>`\n\n- <i>item</i>\n  more")
        with mock.patch.object(guest, "windows_notes", return_value=evil):
            res = self.client.get(TAB_URL)
        content = res.content.decode()
        self.assertNotIn("<script>alert", content)
        self.assertNotIn("<img src=x", content)
        self.assertNotIn("<b>x</b>", content)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; "
                      "<strong>&lt;b&gt;x&lt;/b&gt;</strong>", content)
        self.assertIn("<code>&lt;img src=x onerror=alert(2)&gt;</code>",
                      content)
        self.assertIn("<ul><li>&lt;i&gt;item&lt;/i&gt; more</li></ul>",
                      content)


class GeneratorTests(GuestSetupTestCase):

    def _expected_paths(self, family, apps):
        return [guest.get_script(name).install_path(family)
                for name in tuple(apps) + ("probe",)]

    def test_every_family_and_hook_combination(self):
        for family in FAMILIES:
            for apps in APP_SUBSETS:
                with self.subTest(family=family, apps=apps):
                    query = "&family=%s&generate=1" % family + "".join(
                        "&apps=%s" % app for app in apps)
                    res = self.client.get(TAB_URL + query)
                    self.assertEqual(200, res.status_code)
                    text = self.user_data_in(res)
                    self.assertEqual(guest.cloud_init_user_data(
                        family=family, apps=apps), text)
                    self.assertTrue(text.startswith("#cloud-config\n"))
                    data = yaml.safe_load(text)
                    self.assertIn("qemu-guest-agent", data["packages"])
                    files = {f["path"]: f for f in data["write_files"]}
                    hooks = [p for p in files
                             if "fsfreeze-hook.d" in p]
                    self.assertEqual(self._expected_paths(family, apps),
                                     hooks)
                    for name in tuple(apps) + ("probe",):
                        script = guest.get_script(name)
                        self.assertEqual(
                            guest.read_script(name),
                            files[script.install_path(family)]["content"])
                    other = [a for a in cloud_init.APPS if a not in apps]
                    for name in other:
                        self.assertNotIn(guest.get_script(name).filename,
                                         text)
                    self.assertFalse(any(
                        guest.HOOK_DIRS[f] in text for f in FAMILIES
                        if f != family))
                    commands = yaml.safe_dump(data["runcmd"])
                    self.assertEqual(family == "rhel",
                                     "virt_qemu_ga_run_unconfined" in
                                     commands)
                    # The form shows what was chosen.
                    ctx_form = res.context["tab_group"].get_tab(
                        "guest_setup").get_context_data(
                            res.wsgi_request)["form"]
                    self.assertEqual(family, ctx_form.cleaned_data["family"])
                    self.assertEqual(set(apps),
                                     set(ctx_form.cleaned_data["apps"]))

    def test_download_link_serves_the_same_yaml(self):
        for family in FAMILIES:
            for apps in APP_SUBSETS:
                with self.subTest(family=family, apps=apps):
                    res = self.client.get(USER_DATA_URL, {
                        "family": family, "apps": list(apps),
                        "generate": "1"})
                    self.assertEqual(200, res.status_code)
                    self.assertEqual(
                        'attachment; filename="consistency-user-data-%s.yaml"'
                        % family, res["Content-Disposition"])
                    self.assertTrue(res["Content-Type"].startswith(
                        "text/cloud-config"))
                    self.assertEqual(guest.cloud_init_user_data(
                        family=family, apps=apps).encode(), res.content)
                    yaml.safe_load(res.content)

    def test_inline_user_data_for_the_launch_step(self):
        res = self.client.get(USER_DATA_URL, {
            "family": "rhel", "apps": ["mysql"], "generate": "1",
            "inline": "1"})
        self.assertEqual(200, res.status_code)
        self.assertNotIn("Content-Disposition", res)
        self.assertTrue(res["Content-Type"].startswith("text/plain"))
        self.assertEqual(guest.cloud_init_user_data(
            family="rhel", apps=("mysql",)).encode(), res.content)

    def test_tab_download_href_matches_the_choice(self):
        res = self.client.get(TAB_URL + "&family=rhel&apps=mysql&generate=1")
        match = re.search(r'id="consistency-guest-user-data-download"\s+'
                          r'href="([^"]+)"', res.content.decode())
        href = html.unescape(match.group(1))
        self.assertEqual(USER_DATA_URL + "?family=rhel&apps=mysql&generate=1",
                         href)
        download = self.client.get(href)
        self.assertEqual(self.user_data_in(res).encode(), download.content)

    def test_invalid_choice_shows_a_warning_and_no_yaml(self):
        for query in ("&family=windows&generate=1",
                      "&family=debian&apps=oracle&generate=1",
                      "&generate=1"):
            with self.subTest(query=query):
                res = self.client.get(TAB_URL + query)
                self.assertEqual(200, res.status_code)
                content = res.content.decode()
                self.assertNotIn('id="consistency-guest-user-data"', content)
                self.assertIn('id="consistency-guest-invalid"', content)
        for params in ({"family": "windows"},
                       {"family": "debian", "apps": ["oracle"]}):
            res = self.client.get(USER_DATA_URL, params)
            self.assertEqual(400, res.status_code)

    def test_app_order_is_the_kits_not_the_querys(self):
        res = self.client.get(TAB_URL + "&family=debian&apps=postgresql"
                              "&apps=mysql&apps=postgresql&generate=1")
        self.assertEqual(guest.cloud_init_user_data(
            family="debian", apps=cloud_init.APPS), self.user_data_in(res))


class ScriptDownloadTests(GuestSetupTestCase):

    def test_each_offered_script_downloads_byte_for_byte(self):
        for script in guest.list_scripts():
            with self.subTest(script=script.name):
                res = self.client.get(script_url(script.name))
                self.assertEqual(200, res.status_code)
                self.assertEqual('attachment; filename="%s"'
                                 % script.filename,
                                 res["Content-Disposition"])
                self.assertEqual("text/x-shellscript; charset=utf-8",
                                 res["Content-Type"])
                with guest.script_path(script.name) as path:
                    with open(path, "rb") as handle:
                        self.assertEqual(handle.read(), res.content)
                self.assertEqual(guest.read_script(script.name).encode(),
                                 res.content)

    def test_unknown_and_unoffered_names_are_404(self):
        for name in ("nope", "testapp", "99-consistency-probe", "probe.sh",
                     "..", "cloud_init"):
            with self.subTest(name=name):
                res = self.client.get(script_url(name))
                self.assertEqual(404, res.status_code)


class MarkdownLiteTests(test.TestCase):

    def test_paragraphs_lists_and_marks(self):
        out = guest_tabs.markdown_lite(
            "One\ntwo **b** `c`.\n\n- first\n  cont\n- <second>\n")
        self.assertEqual(
            "<p>One two <strong>b</strong> <code>c</code>.</p>\n"
            "<ul><li>first cont</li><li>&lt;second&gt;</li></ul>", out)


class LaunchStepContractTests(test.TestCase):
    """The Launch Instance step (static JS) fetches the user-data from a
    path it cannot reverse: keep it equal to the URL Django serves."""

    def test_js_path_is_the_user_data_url(self):
        import os
        import django.conf
        root = django.conf.settings.WEBROOT
        path = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "static", "consistency_dashboard",
            "js", "guest_setup.js")
        if not os.path.exists(path):  # installed wheel
            path = os.path.join(os.path.dirname(
                __import__("consistency_dashboard").__file__), "static",
                "consistency_dashboard", "js", "guest_setup.js")
        with open(path) as handle:
            js = handle.read()
        found = re.search(r"var USER_DATA_PATH = '([^']+)';", js)
        self.assertEqual(USER_DATA_URL, root + found.group(1))
        self.assertIn("launchWorkflow.after('configuration'", js)


def test_the_probe_example_shown_is_what_the_parser_calls_proven():
    """The Guest setup tab's example lines are the current format, and the
    core reads them as a freeze proven by held writes (not v1 "hooks ran")."""
    from consistency_dashboard.core import probe
    report = probe.parse_console(guest_tabs.PROBE_EXAMPLE + "\n")
    assert [p.seq for p in report.clean_pairs] == [3]
    pair = report.clean_pairs[0]
    assert pair.version == "v%d" % guest.PROBE_FORMAT_VERSION
    assert pair.freeze_proven_by_writes and pair.held == (("/", 1.19),)
