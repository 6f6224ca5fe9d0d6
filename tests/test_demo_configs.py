"""The demo cloud's service configurations are templates in democloud/config/
filled by demo.sh's ``render``.  These tests run demo.sh's own
``write_configs`` (the script's functions, not a copy) into a temporary
state folder and read what it wrote."""

import configparser
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
DEMO_SH = REPO / "democloud" / "demo.sh"
TEMPLATES = REPO / "democloud" / "config"
PASTE_FILES = ("glance/glance-api-paste.ini", "neutron/api-paste.ini",
               "nova/api-paste.ini", "cinder/api-paste.ini")


def run_demo_functions(tmp_path, script, volumes="1"):
    """Source demo.sh without running its command, then run ``script``."""
    cache = tmp_path / "cache"
    for name in PASTE_FILES:  # copied from the OpenStack venv
        path = cache / "democloud" / "venvs" / "openstack" / "etc" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[pipeline:main]\n")
    body = DEMO_SH.read_text().split('\ncase "${1:-up}" in', 1)[0]
    return subprocess.run(
        ["bash", "-c", 'set -euo pipefail; eval "$DEMO_FUNCTIONS"; '
         'mkdir -p "$LOG" "$RUN" "$ETC"; ' + script],
        env={"PATH": "/usr/bin:/bin", "DEMO_FUNCTIONS": body.replace(
            'HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
            'HERE=%s' % (REPO / "democloud")),
            "CONSISTENCY_CACHE_DIR": str(cache),
            "CONSISTENCY_DEMO_STATE": str(tmp_path / "state"),
            "CONSISTENCY_DEMO_VOLUMES": volumes},
        capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def configs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("democonfigs")
    done = run_demo_functions(tmp, "write_configs")
    assert done.returncode == 0, done.stderr
    etc = tmp / "state" / "etc"
    return {str(p.relative_to(etc)): p.read_text()
            for p in etc.rglob("*") if p.is_file()}


def test_every_template_is_filled_and_nothing_is_left_unfilled(configs):
    assert {"keystone/keystone.conf", "glance/glance-api.conf",
            "placement/placement.conf", "neutron/neutron.conf",
            "neutron/ml2_conf.ini", "nova/nova.conf", "nova-compute/nova.conf",
            "ceph/ceph.conf", "cinder/cinder.conf"} <= set(configs)
    for name, text in configs.items():
        assert "{{" not in text and "}}" not in text, name
    # each template is rendered by demo.sh or included by another template
    texts = [DEMO_SH.read_text()] + [t.read_text() for t in TEMPLATES.iterdir()]
    unused = [t.name for t in TEMPLATES.iterdir()
              if not any(t.name in text for text in texts)]
    assert not unused, "templates nothing renders: %s" % unused

def test_the_configs_parse_and_carry_the_service_credentials(configs):
    for name in ("glance/glance-api.conf", "cinder/cinder.conf", "nova/nova.conf"):
        conf = configparser.RawConfigParser(strict=False)
        conf.read_string(configs[name])
        auth = conf["keystone_authtoken"]
        assert auth["auth_url"] == "http://127.0.0.1:5000/v3", name
        assert auth["password"] == "service-secret", name
    cinder = configparser.RawConfigParser(strict=False)
    cinder.read_string(configs["cinder/cinder.conf"])
    assert cinder["nova"]["username"] == "nova"
    assert cinder["database"]["connection"] == \
        "mysql+pymysql://cinder:db-secret@127.0.0.1/cinder?charset=utf8"


def test_nova_compute_sees_no_database(configs):
    compute = configparser.RawConfigParser(strict=False)
    compute.read_string(configs["nova-compute/nova.conf"])
    assert not {"database", "api_database"} & set(compute.sections())
    assert compute["libvirt"]["virt_type"] == "qemu"


def test_without_volumes_no_ceph_or_cinder_config_is_written(tmp_path):
    done = run_demo_functions(tmp_path, "write_configs", volumes="0")
    assert done.returncode == 0, done.stderr
    etc = tmp_path / "state" / "etc"
    assert (etc / "nova" / "nova.conf").exists()
    assert not (etc / "ceph").exists() and not (etc / "cinder").exists()


def test_a_template_naming_an_unset_variable_fails_with_its_name(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "x.conf").write_text("[a]\nb = {{NO_SUCH_SETTING}}\n")
    done = run_demo_functions(tmp_path, 'CONFIG_TEMPLATES=%s render x.conf' % (tmp_path / "t"))
    assert done.returncode != 0
    assert "x.conf uses {{NO_SUCH_SETTING}}, which is not set" in done.stderr
