"""DevStack plugin contract: run stack.sh, unstack.sh and clean.sh of the
stand-in DevStack (fake_devstack.sh, checked against DevStack's source; see
devstack/README.md) with devstack/ as a plugin checkout under $DEST, and
assert what lands where, in which Python environment and in which order."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
FAKE = HERE / "fake_devstack.sh"
# The plugin under test; another copy of devstack/ (an older commit) can be
# pointed at to see a test fail before its fix.
PLUGIN_SRC = pathlib.Path(os.environ.get("CONSISTENCY_DEVSTACK_PLUGIN_SRC", REPO / "devstack"))
URL = "https://opendev.example/consistency-dashboard"
SNIPPET = "_1065_consistency_dashboard.py"
IMAGE = "consistency-demo-guest"

BUILD_STUB = """#!/bin/sh
exec "%s" -S "%s" build "$@"
"""

CEPH_SETTINGS = """# devstack-plugin-ceph's settings, as far as Nova's images go
ENABLE_CEPH_NOVA=$(trueorfalse True ENABLE_CEPH_NOVA)
function is_ceph_enabled_for_service {
    local config_name
    config_name=ENABLE_CEPH_$(echo "$1" | tr '[:lower:]-' '[:upper:]_')
    is_service_enabled "$1" && [[ "${!config_name:-}" == "True" ]]
}
"""


def plugin_enabled_files():
    return sorted(p.name for p in (REPO / "consistency_dashboard" / "enabled").glob("_*.py")
                  if p.name != "__init__.py")


class DevStack:
    def __init__(self, tmp):
        self.tmp = tmp
        self.root = tmp / "root"
        self.dest = tmp / "opt-stack"
        self.horizon = self.dest / "horizon"
        self.enabled = self.horizon / "openstack_dashboard" / "local" / "enabled"
        self.settings_d = self.horizon / "openstack_dashboard" / "local" / "local_settings.d"
        self.system = self.root / "system"
        self.venv = self.dest / "data" / "venv"
        self.log = tmp / "calls.log"
        self.localrc = tmp / "localrc"
        self.cache = tmp / "cache"
        self.root.mkdir()
        self.dest.mkdir()
        self.log.write_text("")

    def checkout(self, name="consistency-dashboard"):
        """The plugin's repository as enable_plugin clones it: $DEST/<name>."""
        co = self.dest / name
        shutil.copytree(PLUGIN_SRC, co / "devstack")
        shutil.copytree(REPO / "consistency_dashboard" / "enabled",
                        co / "consistency_dashboard" / "enabled")
        (co / "consistency_dashboard" / "__init__.py").write_text("")
        shutil.copy(REPO / "setup.cfg", co / "setup.cfg")
        build = co / "tools" / "guest-image" / "build.sh"
        build.parent.mkdir(parents=True)
        build.write_text(BUILD_STUB % (sys.executable,
                                       HERE / "fake_tools.py"))
        build.chmod(0o755)
        return co

    def ceph_checkout(self):
        co = self.dest / "devstack-plugin-ceph" / "devstack"
        co.mkdir(parents=True)
        (co / "settings").write_text(CEPH_SETTINGS)
        (co / "plugin.sh").write_text(":\n")

    def run(self, driver, localrc="", name="consistency-dashboard", **env):
        self.localrc.write_text("enable_plugin %s %s\n%s" % (name, URL, localrc))
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("CONSISTENCY_", "FAKE_", "OFFLINE", "GLOBAL_VENV"))}
        e.update({"DEST": str(self.dest), "FAKE_ROOT": str(self.root), "FAKE_LOG": str(self.log),
                  "FAKE_LOCALRC": str(self.localrc), "NOUNSET": "1",
                  "FAKE_REAL_PYTHON": sys.executable,
                  "CONSISTENCY_CACHE_DIR": str(self.cache),
                  "PATH": "%s:%s" % (self.root / "bin", os.environ["PATH"])})
        e.update(env)
        script = "source %s\n%s\n" % (FAKE, driver)
        return subprocess.run(["bash", "-c", script], env=e, capture_output=True,
                              text=True, timeout=120)

    def stack(self, localrc="", **env):
        return self.run("fake_stack_sh", localrc, **env)

    def calls(self):
        return [line for line in self.log.read_text().splitlines() if line]

    def marker(self, env, name):
        p = env / "site" / name
        return p.read_text() if p.exists() else None

    def images(self):
        p = self.root / "glance.json"
        return json.loads(p.read_text()) if p.exists() else []

    def guest_dir(self):
        d = self.cache / "guest-image"
        d.mkdir(parents=True)
        for f in ("vmlinuz", "initrd.img", "rootfs.raw"):
            (d / f).write_bytes(b"x")
        (d / "manifest.json").write_text(json.dumps(
            {"kernel_cmdline": "console=ttyS0 root=/dev/vda rw init=/sbin/consistency-init"}))
        return d


@pytest.fixture
def devstack(tmp_path):
    return DevStack(tmp_path)


def ok(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def index_of(calls, prefix):
    return next(i for i, c in enumerate(calls) if c.startswith(prefix))


DEMO = "CONSISTENCY_DASHBOARD_DEMO_IMAGE=True\n"
BUILD = DEMO + "CONSISTENCY_DASHBOARD_BUILD_IMAGE=True\n"


# The stand-in itself ---------------------------------------------------------

def test_stand_in_runs_the_phases_in_stack_sh_order(devstack):
    devstack.checkout()
    ok(devstack.stack())
    calls = devstack.calls()
    assert [c for c in calls if c.startswith("phase ")] == [
        "phase override_defaults", "phase source", "phase stack pre-install",
        "phase stack install", "phase stack post-config", "phase stack extra",
        "phase stack test-config"]
    # Horizon: cloned before install, pip-installed (editable) by
    # configure_horizon between install and post-config, collectstatic and
    # compress (init_horizon) between post-config and extra
    horizon_pip = index_of(calls, "pip %s install -c %s/requirements/upper-constraints.txt -e %s"
                           % (devstack.venv, devstack.dest, devstack.horizon))
    assert index_of(calls, "phase stack install") < horizon_pip < index_of(calls, "phase stack post-config")
    assert index_of(calls, "phase stack post-config") < index_of(calls, "init_horizon") \
        < index_of(calls, "phase stack extra")


def test_stand_in_unstack_and_clean_order(devstack):
    devstack.checkout()
    ok(devstack.stack())
    devstack.log.write_text("")
    ok(devstack.run("fake_clean_sh"))
    calls = devstack.calls()
    assert index_of(calls, "phase unstack") < index_of(calls, "stop_apache_server") \
        < index_of(calls, "phase clean") < index_of(calls, "cleanup_horizon")
    assert not (devstack.dest / "data").exists()


@pytest.mark.parametrize("localrc, env_of", [
    ("", lambda ds: ds.venv),                                  # GLOBAL_VENV defaults to True
    ("GLOBAL_VENV=False\n", lambda ds: ds.system),
    ("PIP_VIRTUAL_ENV={tmp}/pipvenv\n", lambda ds: ds.tmp / "pipvenv"),
], ids=["global-venv", "system", "pip-virtual-env"])
def test_stand_in_pip_install_picks_devstacks_environment(devstack, localrc, env_of):
    (devstack.tmp / "pipvenv" / "bin").mkdir(parents=True)
    script = ('_fake_config; _fake_libs; PYTHON=python3.99\n'
              '[[ "$GLOBAL_VENV" == True ]] && setup_devstack_virtualenv\n'
              'if [[ -n "${PIP_VIRTUAL_ENV:-}" ]]; then _fake_python_env "$PIP_VIRTUAL_ENV" "$PIP_VIRTUAL_ENV/bin"; fi\n'
              'pip_install pymemcache; OFFLINE=True; pip_install offline-package')
    ok(devstack.run(script, localrc.format(tmp=devstack.tmp)))
    pips = [c for c in devstack.calls() if c.startswith("pip ")]
    assert pips[0] == "pip %s install -c %s/requirements/upper-constraints.txt pymemcache" % (
        env_of(devstack), devstack.dest)
    assert not [c for c in pips if "offline-package" in c]


def test_stand_in_local_conf_disable_service_wins_over_a_plugins_enable_service(devstack):
    r = ok(devstack.run('_fake_config; disable_service horizon; enable_service horizon\n'
                        'is_service_enabled horizon && echo ENABLED || echo DISABLED'))
    assert "Attempt to enable_service horizon when it has been disabled" in r.stdout
    assert r.stdout.strip().endswith("DISABLED")


# Installing into Horizon -------------------------------------------------------

def test_horizon_comes_from_its_checkout_and_the_plugin_follows_it(devstack):
    co = devstack.checkout()
    ok(devstack.stack())
    calls = devstack.calls()
    assert not [c for c in calls if c.endswith(": horizon from the package index")]
    assert devstack.marker(devstack.venv, "horizon") == "editable %s" % devstack.horizon
    # not editable: the top-level templates/ and static/ ship only in a real install
    assert devstack.marker(devstack.venv, "consistency-dashboard") == "copy %s" % co
    ours = index_of(calls, "pip %s install -c %s/requirements/upper-constraints.txt %s"
                    % (devstack.venv, devstack.dest, co))
    assert index_of(calls, "pip %s install -c %s/requirements/upper-constraints.txt -e %s"
                    % (devstack.venv, devstack.dest, devstack.horizon)) < ours  # Horizon's first
    assert index_of(calls, "phase stack post-config") < ours < index_of(calls, "init_horizon")
    assert not [c for c in calls if c.startswith("pip %s" % devstack.system)]


def test_post_config_copies_enabled_files_and_leaves_horizons_own(devstack):
    devstack.checkout()
    ok(devstack.stack())
    landed = sorted(p.name for p in devstack.enabled.iterdir())
    assert landed == sorted(["__init__.py", "_9001_developer.py.example"] + plugin_enabled_files())
    for name in plugin_enabled_files():
        assert (devstack.enabled / name).read_text() == \
            (REPO / "consistency_dashboard" / "enabled" / name).read_text()


def test_extra_leaves_collectstatic_compress_and_restart_to_horizon(devstack):
    devstack.checkout()
    ok(devstack.stack())
    calls = devstack.calls()
    assert not [c for c in calls if c.startswith("manage.py collectstatic")
                or c.startswith("manage.py compress")]
    assert calls.count("restart_apache_server") == 1     # start_horizon's


def test_nothing_happens_on_a_node_without_horizon(devstack):
    co = devstack.checkout()
    devstack.guest_dir()
    # a compute subnode sharing the local.conf
    ok(devstack.stack("ENABLED_SERVICES=n-cpu,placement-client,q-ovn-agent\n" + DEMO))
    calls = devstack.calls()
    assert not [c for c in calls if str(co) in c and c.startswith("pip ")]
    assert not [c for c in calls if c.startswith("openstack ")]
    assert not devstack.horizon.exists()
    ok(devstack.run("fake_clean_sh"))


def test_demo_image_skipped_without_glance(devstack):
    devstack.checkout()
    devstack.guest_dir()
    r = ok(devstack.stack("disable_service g-api\n" + DEMO))
    assert "demo image skipped" in r.stdout
    assert not [c for c in devstack.calls() if c.startswith("openstack ")]
    assert (devstack.enabled / plugin_enabled_files()[0]).exists()


def test_disable_service_in_local_conf_makes_every_phase_a_no_op(devstack):
    devstack.checkout()
    devstack.guest_dir()
    ok(devstack.stack("disable_service consistency-dashboard\n" + DEMO))
    ok(devstack.run("fake_clean_sh", "disable_service consistency-dashboard\n"))
    calls = devstack.calls()
    assert not [c for c in calls if "consistency-dashboard" in c and not c.startswith("phase")]
    assert not [c for c in calls if c.startswith("openstack ")]
    assert {p.name for p in devstack.enabled.iterdir()} == {"__init__.py", "_9001_developer.py.example"}


def test_enable_plugin_under_another_name_installs_that_checkout(devstack):
    co = devstack.checkout("snapshot-consistency")
    ok(devstack.run("fake_stack_sh", name="snapshot-consistency"))
    assert devstack.marker(devstack.venv, "consistency-dashboard") == "copy %s" % co
    assert sorted(p.name for p in devstack.enabled.glob("_[0-9]*.py")) == plugin_enabled_files()
    assert "\ndefine_plugin consistency-dashboard\n" in (co / "devstack" / "settings").read_text()


def test_offline_installs_nothing_and_enables_only_what_is_installed(devstack):
    devstack.checkout()
    # never installed (the plugin was added to an offline node): no panels,
    # and collectstatic still runs
    r = ok(devstack.stack("OFFLINE=True\n"))
    assert "not installed in Horizon's environment" in r.stdout
    assert not [c for c in devstack.calls() if c.startswith("pip ")]
    assert not list(devstack.enabled.glob("_1*.py"))
    assert "init_horizon collectstatic compress python=%s/bin/python3" % devstack.venv \
        in devstack.calls()
    # installed by an earlier online run: an offline run enables it
    ok(devstack.stack())
    ok(devstack.stack("OFFLINE=True\n"))
    assert sorted(p.name for p in devstack.enabled.glob("_[0-9]*.py")) == plugin_enabled_files()


# Settings snippet ------------------------------------------------------------------

@pytest.mark.parametrize("localrc, storage", [
    ("", "file"),
    ("enable_plugin devstack-plugin-ceph https://opendev.example/devstack-plugin-ceph\n", "rbd"),
    ("enable_plugin devstack-plugin-ceph https://opendev.example/devstack-plugin-ceph\n"
     "ENABLE_CEPH_NOVA=False\n", "file"),
    ("NOVA_BACKEND=LVM\n", "no_live_snapshot"),
    ("NOVA_BACKEND=LVM\nCONSISTENCY_DASHBOARD_STORAGE=rbd\n", "rbd"),
], ids=["default", "ceph", "ceph-not-for-nova", "lvm", "override"])
def test_settings_snippet_says_where_root_disks_live(devstack, localrc, storage):
    devstack.checkout()
    devstack.ceph_checkout()
    ok(devstack.stack(localrc))
    text = (devstack.settings_d / SNIPPET).read_text()
    assert 'CONSISTENCY_DASHBOARD_STORAGE = "%s"\n' % storage in text
    assert "init_horizon collectstatic compress python=%s/bin/python3" % devstack.venv \
        in devstack.calls()


def test_a_wrong_storage_setting_stops_stack_with_a_sentence(devstack):
    devstack.checkout()
    r = devstack.stack("CONSISTENCY_DASHBOARD_STORAGE=ceph\n")
    assert r.returncode != 0
    assert "CONSISTENCY_DASHBOARD_STORAGE=ceph: use file, rbd or no_live_snapshot" in r.stderr


# clean ----------------------------------------------------------------------------

@pytest.mark.parametrize("localrc, uninstalled_from", [
    ("", lambda ds: ds.venv),
    ("GLOBAL_VENV=False\n", lambda ds: None),   # clean.sh leaves system packages alone
], ids=["global-venv", "system"])
def test_clean_removes_what_post_config_added_and_never_uses_the_system_pip(
        devstack, localrc, uninstalled_from):
    devstack.checkout()
    ok(devstack.stack(localrc))
    assert (devstack.settings_d / SNIPPET).exists()
    devstack.log.write_text("")
    ok(devstack.run("fake_clean_sh", localrc))
    calls = devstack.calls()
    pips = [c for c in calls if c.startswith("pip ")]
    env = uninstalled_from(devstack)
    assert pips == ([] if env is None else ["pip %s uninstall -y consistency-dashboard" % env])
    assert {p.name for p in devstack.enabled.iterdir()} == {"__init__.py", "_9001_developer.py.example"}
    assert [p.name for p in devstack.settings_d.iterdir()] == ["_9030_profiler_settings.py.example"]


def test_unstack_touches_nothing(devstack):
    devstack.checkout()
    ok(devstack.stack())
    devstack.log.write_text("")
    ok(devstack.run("fake_unstack_sh"))
    assert [c for c in devstack.calls() if not c.startswith("phase ")] == ["stop_apache_server"]
    assert (devstack.settings_d / SNIPPET).exists()


# The demo image ---------------------------------------------------------------------

def test_demo_image_uploaded_with_consistency_properties_once(devstack):
    devstack.checkout()
    d = devstack.guest_dir()
    ok(devstack.stack(DEMO))
    images = devstack.images()
    assert [i["name"] for i in images] == [IMAGE + "-kernel", IMAGE + "-initrd", IMAGE]
    kernel, ramdisk, root = images
    assert (kernel["disk_format"], kernel["file"]) == ("aki", str(d / "vmlinuz"))
    assert (ramdisk["disk_format"], ramdisk["file"]) == ("ari", str(d / "initrd.img"))
    assert (root["disk_format"], root["file"]) == ("ami", str(d / "rootfs.raw"))
    assert root["properties"] == {
        "kernel_id": kernel["id"], "ramdisk_id": ramdisk["id"],
        "os_command_line": "console=ttyS0 root=/dev/vda rw init=/sbin/consistency-init",
        "hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
    assert not any(i["import"] for i in images)
    creates = [c for c in devstack.calls() if " image create " in c]
    assert all("devstack-admin" in c and "--public" in c for c in creates)
    # a second stack.sh uploads nothing
    ok(devstack.stack(DEMO))
    assert len(devstack.images()) == 3


def test_demo_image_uses_the_import_workflow_where_devstack_does(devstack):
    devstack.checkout()
    devstack.guest_dir()
    ok(devstack.stack(DEMO + "GLANCE_USE_IMPORT_WORKFLOW=True\n"))
    # DevStack's upload_image: plain aki/ari uploads, --import for the root image
    assert {i["name"]: i["import"] for i in devstack.images()} == {
        IMAGE + "-kernel": False, IMAGE + "-initrd": False, IMAGE: True}


def test_a_failed_upload_resumes_without_duplicates(devstack):
    devstack.checkout()
    devstack.guest_dir()
    r = devstack.stack(DEMO, FAKE_GLANCE_FAIL=IMAGE + "-initrd")
    assert r.returncode != 0          # as DevStack's own upload_image: the run stops
    ok(devstack.stack(DEMO))
    images = devstack.images()
    assert sorted(i["name"] for i in images) == [IMAGE, IMAGE + "-initrd", IMAGE + "-kernel"]
    assert {i["status"] for i in images} == {"active"}
    by_name = {i["name"]: i for i in images}
    assert by_name[IMAGE]["properties"]["kernel_id"] == by_name[IMAGE + "-kernel"]["id"]
    assert by_name[IMAGE]["properties"]["ramdisk_id"] == by_name[IMAGE + "-initrd"]["id"]


def test_demo_image_off_or_missing_uploads_nothing(devstack):
    devstack.checkout()
    devstack.guest_dir()
    ok(devstack.stack())
    assert not [c for c in devstack.calls() if c.startswith("openstack ")]
    shutil.rmtree(devstack.cache)
    r = ok(devstack.stack(DEMO))
    assert "demo image skipped" in r.stdout + r.stderr
    assert devstack.images() == []


def test_build_image_installs_its_packages_before_install_and_builds(devstack):
    devstack.checkout()
    ok(devstack.stack(BUILD))
    calls = devstack.calls()
    apt = index_of(calls, "apt-get install")
    assert calls[apt].split()[2:] == ["mmdebstrap", "debian-archive-keyring", "e2fsprogs"]
    assert index_of(calls, "phase stack pre-install") < apt < index_of(calls, "phase stack install")
    assert "build.sh --print-dir CONSISTENCY_CACHE_DIR=%s" % devstack.cache in calls
    assert [i["name"] for i in devstack.images()] == [IMAGE + "-kernel", IMAGE + "-initrd", IMAGE]


def test_build_script_is_asked_even_when_an_image_is_there(devstack):
    # build.sh keeps its own cache keyed on its inputs: a stale image is
    # rebuilt by it, not skipped here
    devstack.checkout()
    devstack.guest_dir()
    ok(devstack.stack(BUILD))
    assert [c for c in devstack.calls() if c.startswith("build.sh")]


def test_a_failed_build_warns_and_stack_goes_on(devstack):
    devstack.checkout()
    r = ok(devstack.stack(BUILD, FAKE_BUILD_FAIL="1"))
    assert "[WARNING]" in r.stdout + r.stderr and "build.sh failed" in r.stdout + r.stderr
    assert devstack.images() == []
    assert "init_horizon collectstatic compress python=%s/bin/python3" % devstack.venv \
        in devstack.calls()


def test_offline_installs_no_packages(devstack):
    devstack.checkout()
    ok(devstack.stack(BUILD + "OFFLINE=True\n", FAKE_BUILD_FAIL="1"))
    assert not [c for c in devstack.calls() if c.startswith("apt-get")]


# Shell hygiene ------------------------------------------------------------------------

def test_shellcheck_passes_on_the_plugin_and_the_stand_in():
    if not shutil.which("shellcheck"):
        if os.environ.get("CI"):
            pytest.fail("shellcheck is not installed")
        pytest.skip("shellcheck is not installed")
    r = subprocess.run(["shellcheck", "-x", str(PLUGIN_SRC / "plugin.sh"), str(PLUGIN_SRC / "settings"),
                        str(FAKE)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


# The stand-in against DevStack's own functions ------------------------------------
#
# Each scenario runs twice (DEVSTACK_SRC, default the copy of DevStack's own
# files in tests/devstack/upstream/): with the
# stand-in's functions and with DevStack's functions-common and inc/python
# in their place (fake_devstack.sh, FAKE_DEVSTACK_SRC), and compares every
# recorded command, file and environment they leave.  devstack/README.md
# names the DevStack commit this was last run against.

DEVSTACK_SRC = os.environ.get("DEVSTACK_SRC") or str(
    pathlib.Path(__file__).resolve().parent / "upstream")
SCENARIOS = {
    "default": ("", {}),
    "demo-build-import": (BUILD + "GLANCE_USE_IMPORT_WORKFLOW=True\n", {}),
    "failed-build": (BUILD, {"FAKE_BUILD_FAIL": "1"}),
    "failed-upload": (DEMO, {"FAKE_GLANCE_FAIL": IMAGE + "-kernel"}),
    "plugin-disabled": ("disable_service consistency-dashboard\n" + DEMO, {}),
    "no-horizon": ("disable_service horizon\n" + DEMO, {}),
    "offline": ("OFFLINE=True\n", {}),
    "system-python": ("GLOBAL_VENV=False\n", {}),
    "ceph": ("enable_plugin devstack-plugin-ceph https://opendev.example/devstack-plugin-ceph\n", {}),
    "wrong-storage": ("CONSISTENCY_DASHBOARD_STORAGE=ceph\n", {}),
}


def transcript(ds, localrc, env):
    ds.checkout()
    ds.ceph_checkout()
    steps = []
    for driver in ("fake_stack_sh", "fake_stack_sh", "fake_unstack_sh", "fake_clean_sh"):
        r = ds.run(driver, localrc, NOUNSET="", **env)
        steps.append((driver, r.returncode))
    log = [c.replace(str(ds.tmp), "<T>") for c in ds.calls() if not c.startswith("phase ")]
    files = {}
    for p in sorted(ds.tmp.rglob("*")):
        rel = str(p.relative_to(ds.tmp))
        if p.is_file() and rel not in ("calls.log", "localrc") and "/bin/" not in "/" + rel:
            files[rel] = p.read_text(errors="replace").replace(str(ds.tmp), "<T>")
    return steps, log, files


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_stand_in_matches_devstacks_own_functions(tmp_path, scenario):
    localrc, env = SCENARIOS[scenario]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    stand_in = transcript(DevStack(tmp_path / "a"), localrc, env)
    devstack = transcript(DevStack(tmp_path / "b"), localrc,
                          dict(env, FAKE_DEVSTACK_SRC=DEVSTACK_SRC))
    assert stand_in[0] == devstack[0]
    assert stand_in[1] == devstack[1]
    assert stand_in[2] == devstack[2]
