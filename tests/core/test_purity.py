"""The core imports nothing from Django, Horizon or the OpenStack clients."""

import json
import os
import pkgutil
import subprocess
import sys

import consistency_dashboard.core as core

FORBIDDEN = ("django", "horizon", "openstack_dashboard", "novaclient",
             "glanceclient", "keystoneauth1", "cinderclient")

SCRIPT = """
import importlib, json, pkgutil, sys
import consistency_dashboard.core as core
names = [m.name for m in pkgutil.iter_modules(core.__path__)]
for name in names:
    importlib.import_module("consistency_dashboard.core." + name)
loaded = sorted(m for m in sys.modules
                if m.split(".")[0] in %r)
print(json.dumps({"modules": names, "forbidden": loaded}))
""" % (FORBIDDEN,)


def test_core_imports_no_framework_or_client():
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = sorted(m.name for m in pkgutil.iter_modules(core.__path__))
    assert sorted(result["modules"]) == expected
    assert {"properties", "posture", "snapshot_paths", "captured"} <= set(
        result["modules"])
    assert result["forbidden"] == []
