"""DevStack plugin contract: run devstack/plugin.sh phases in bash against a
stand-in of DevStack's functions and a fake Horizon tree, and assert what
lands where."""

import json
import os
import pathlib
import stat
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FAKE = pathlib.Path(__file__).with_name("fake_devstack.sh")

OPENSTACK_STUB = """#!/bin/bash
# records its arguments; `image show NAME` succeeds only for names listed in
# $FAKE_IMAGES; `image create ... NAME` prints id-NAME and records NAME.
echo "openstack $*" >>"$FAKE_LOG"
args=("$@"); name="${args[-1]}"
if [[ " $* " == *" image show "* ]]; then
    grep -qx "$name" "$FAKE_IMAGES" 2>/dev/null && { echo "id-$name"; exit 0; }
    echo "No Image found for $name" >&2; exit 1
fi
if [[ " $* " == *" image create "* ]]; then
    echo "$name" >>"$FAKE_IMAGES"; echo "id-$name"; exit 0
fi
"""

MANAGE_STUB = """import os, sys
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write("manage.py %s cwd=%s\\n" % (" ".join(sys.argv[1:]), os.getcwd()))
"""


def plugin_enabled_files():
    return sorted(p.name for p in (REPO / "consistency_dashboard" / "enabled").glob("_*.py")
                  if p.name != "__init__.py")


@pytest.fixture
def devstack(tmp_path):
    dest = tmp_path / "opt-stack"
    horizon = dest / "horizon"
    enabled = horizon / "openstack_dashboard" / "local" / "enabled"
    enabled.mkdir(parents=True)
    (enabled / "__init__.py").write_text("# horizon's own\n")
    (enabled / "_1000_other_plugin.py").write_text("PANEL = 'other'\n")
    (horizon / "manage.py").write_text(MANAGE_STUB)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    stub = bindir / "openstack"
    stub.write_text(OPENSTACK_STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    log.write_text("")

    class DS:
        pass
    ds = DS()
    ds.tmp, ds.dest, ds.horizon, ds.enabled, ds.log = tmp_path, dest, horizon, enabled, log
    ds.images = tmp_path / "images.txt"

    def run(*phase, services="horizon", **env):
        e = dict(os.environ)
        e.update({"DEST": str(dest), "FAKE_LOG": str(log), "FAKE_IMAGES": str(ds.images),
                  "CONSISTENCY_DASHBOARD_DIR": str(REPO), "ENABLED_SERVICES": services,
                  "PATH": "%s:%s" % (bindir, os.environ["PATH"])})
        e.update(env)
        script = ("set -o errexit -o nounset -o pipefail\n"
                  "source %s\nsource %s/devstack/settings\nsource %s/devstack/plugin.sh %s\n"
                  % (FAKE, REPO, REPO, " ".join(phase)))
        return subprocess.run(["bash", "-c", script], env=e, capture_output=True,
                              text=True, timeout=60)
    ds.run = run
    ds.calls = lambda: [line for line in log.read_text().splitlines() if line]
    return ds


def ok(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_plugin_ships_enabled_files():
    assert plugin_enabled_files(), "consistency_dashboard/enabled/_*.py missing"


def test_install_pip_installs_the_checkout_into_horizons_environment(devstack):
    ok(devstack.run("stack", "install"))
    assert devstack.calls() == ["pip_install %s" % REPO]


def test_post_config_copies_enabled_files_into_horizon(devstack):
    ok(devstack.run("stack", "post-config"))
    landed = sorted(p.name for p in devstack.enabled.iterdir())
    assert landed == sorted(["__init__.py", "_1000_other_plugin.py"] + plugin_enabled_files())
    for name in plugin_enabled_files():
        assert (devstack.enabled / name).read_text() == \
            (REPO / "consistency_dashboard" / "enabled" / name).read_text()
    assert (devstack.enabled / "__init__.py").read_text() == "# horizon's own\n"
    assert devstack.calls() == []


def test_extra_compresses_and_restarts_horizon_without_image(devstack):
    ok(devstack.run("stack", "extra"))
    calls = devstack.calls()
    assert calls[0] == "manage.py collectstatic --noinput cwd=%s" % devstack.horizon
    assert calls[1] == "manage.py compress --force cwd=%s" % devstack.horizon
    assert calls[2] == "restart_apache_server"
    assert not [c for c in calls if c.startswith("openstack")]


def make_guest_dir(tmp):
    d = tmp / "guest-image"
    d.mkdir()
    for f in ("vmlinuz", "initrd.img", "rootfs.raw"):
        (d / f).write_bytes(b"x")
    (d / "manifest.json").write_text(json.dumps(
        {"kernel_cmdline": "console=ttyS0 root=/dev/vda rw init=/sbin/consistency-init"}))
    return d


def test_extra_uploads_demo_image_with_consistency_properties(devstack):
    d = make_guest_dir(devstack.tmp)
    ok(devstack.run("stack", "extra", CONSISTENCY_DASHBOARD_DEMO_IMAGE="True",
                    CONSISTENCY_DASHBOARD_IMAGE_DIR=str(d)))
    creates = [c for c in devstack.calls() if " image create " in c]
    assert len(creates) == 3
    kernel, ramdisk, root = creates
    assert "--disk-format aki" in kernel and "--file %s/vmlinuz" % d in kernel
    assert kernel.endswith("consistency-demo-guest-kernel")
    assert "--disk-format ari" in ramdisk and "--file %s/initrd.img" % d in ramdisk
    assert "--disk-format ami" in root and "--file %s/rootfs.raw" % d in root
    for prop in ("kernel_id=id-consistency-demo-guest-kernel",
                 "ramdisk_id=id-consistency-demo-guest-initrd",
                 "os_command_line=console=ttyS0 root=/dev/vda rw init=/sbin/consistency-init",
                 "hw_qemu_guest_agent=yes", "os_require_quiesce=yes"):
        assert "--property %s" % prop in root, prop
    assert root.endswith(" consistency-demo-guest")
    assert "--os-cloud devstack-admin" in root and "--public" in root

    # a second stack.sh does not upload it again
    devstack.log.write_text("")
    ok(devstack.run("stack", "extra", CONSISTENCY_DASHBOARD_DEMO_IMAGE="True",
                    CONSISTENCY_DASHBOARD_IMAGE_DIR=str(d)))
    assert not [c for c in devstack.calls() if " image create " in c]


def test_demo_image_setting_off_or_missing_image_uploads_nothing(devstack):
    ok(devstack.run("stack", "extra", CONSISTENCY_DASHBOARD_DEMO_IMAGE="False",
                    CONSISTENCY_DASHBOARD_IMAGE_DIR=str(make_guest_dir(devstack.tmp))))
    assert not [c for c in devstack.calls() if c.startswith("openstack")]
    r = ok(devstack.run("stack", "extra", CONSISTENCY_DASHBOARD_DEMO_IMAGE="True",
                        CONSISTENCY_DASHBOARD_IMAGE_DIR=str(devstack.tmp / "nowhere")))
    assert "demo image skipped" in r.stdout
    assert not [c for c in devstack.calls() if " image create " in c]


def test_unstack_touches_nothing_and_clean_removes_enabled_files(devstack):
    ok(devstack.run("stack", "post-config"))
    ok(devstack.run("unstack"))
    assert devstack.calls() == []
    assert all((devstack.enabled / n).exists() for n in plugin_enabled_files())
    ok(devstack.run("clean"))
    assert {p.name for p in devstack.enabled.iterdir()} == {"__init__.py", "_1000_other_plugin.py"}
    assert devstack.calls() == ["pip_uninstall consistency-dashboard"]


def test_nothing_happens_when_the_service_is_disabled(devstack):
    # settings enables the service; disabling it afterwards (as local.conf
    # `disable_service consistency-dashboard` does) must make every phase a no-op
    e = dict(os.environ, DEST=str(devstack.dest), FAKE_LOG=str(devstack.log),
             CONSISTENCY_DASHBOARD_DIR=str(REPO), ENABLED_SERVICES="horizon",
             CONSISTENCY_DASHBOARD_DEMO_IMAGE="True")
    for phase in ("stack install", "stack post-config", "stack extra", "clean"):
        script = ("set -eu\nsource %s\nsource %s/devstack/settings\n"
                  "disable_service consistency-dashboard\nsource %s/devstack/plugin.sh %s\n"
                  % (FAKE, REPO, REPO, phase))
        r = subprocess.run(["bash", "-c", script], env=e, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    assert devstack.calls() == []
    assert {p.name for p in devstack.enabled.iterdir()} == {"__init__.py", "_1000_other_plugin.py"}
