"""democloud/privsep_in_process.py: with it, Nova's and Cinder's privileged
functions run in the service's own process and no privsep-helper daemon
starts.  Run with the demo's OpenStack venv (Nova, os-brick and
oslo.privsep are not in the test venv); skipped where demo.sh has not built
it yet."""

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
CACHE = pathlib.Path(os.environ.get("CONSISTENCY_CACHE_DIR", "/var/cache/consistency-dashboard"))
OS_PYTHON = CACHE / "democloud" / "venvs" / "openstack" / "bin" / "python"

pytestmark = pytest.mark.skipif(
    not OS_PYTHON.exists(),
    reason="the demo's OpenStack venv is not built (democloud/demo.sh up builds it)")

SCRIPT = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
from nova import monkey_patch; monkey_patch.patch(backend="threading")
import nova.privsep, nova.privsep.path            # a context made before
import privsep_in_process
privsep_in_process.in_process()
import os_brick.privileged, os_brick.privileged.rootwrap   # and one after
data, _ = nova.privsep.path.last_bytes(sys.argv[2], 5)
out, _ = os_brick.privileged.rootwrap.execute_root("sh", "-c", "echo $PPID")
print(data.decode(), int(out) == os.getpid(),
      nova.privsep.sys_admin_pctxt.channel is None,
      os_brick.privileged.default.channel is None)
"""


def test_privileged_functions_run_in_the_calling_process(tmp_path):
    probe = tmp_path / "probe"
    probe.write_text("kept: hello")
    done = subprocess.run(
        [str(OS_PYTHON), "-c", SCRIPT, str(REPO / "democloud"), str(probe)],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    # the file's last bytes, read by Nova's privileged function; the
    # command os-brick ran as root is this process's child; and neither
    # context started a helper daemon (its channel stays unset)
    assert done.stdout.split() == ["hello", "True", "True", "True"], done.stdout
