"""One real QEMU guest per test session (TCG, never KVM: guests hang under
KVM on the machines this runs on), built from tools/guest-image/build.sh."""

import pathlib
import subprocess
import time

import pytest

from tests.qga.agent import Guest, require_qemu

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = REPO / 'tools' / 'guest-image' / 'build.sh'
BOOT_TIMEOUT = 240
TIMINGS = {}


@pytest.fixture(scope='session')
def guest_image():
    require_qemu()
    start = time.monotonic()
    result = subprocess.run([str(BUILD), '--print-dir'], capture_output=True,
                            text=True, timeout=1200)
    if result.returncode != 0:
        pytest.fail('guest image build failed:\n' + result.stderr[-4000:])
    TIMINGS['image_build_or_cache_s'] = round(time.monotonic() - start, 1)
    return pathlib.Path(result.stdout.strip().splitlines()[-1])


# Module scope, not session: a module's VM is stopped before the next
# module boots its own, so there is never more than one VM at a time.
@pytest.fixture(scope='module')
def vm(guest_image, tmp_path_factory):
    """The test guest, booted once for the module, agent answering."""
    qemu = require_qemu()
    guest = Guest(guest_image, tmp_path_factory.mktemp('qga-vm'))
    guest.start(qemu)
    try:
        TIMINGS['boot_to_agent_s'] = round(
            guest.wait_for_agent(BOOT_TIMEOUT), 1)
        yield guest
    finally:
        guest.stop()


@pytest.fixture(scope='module')
def vm_agent_off(guest_image, tmp_path_factory):
    """The same image booted with consistency.agent=off, up to init's
    "ready" line (the agent never starts)."""
    qemu = require_qemu()
    guest = Guest(guest_image, tmp_path_factory.mktemp('qga-vm-off'),
                  extra_cmdline='consistency.agent=off')
    guest.start(qemu)
    try:
        text = guest.wait_console(
            lambda t: 'consistency-init: ready' in t, BOOT_TIMEOUT)
        assert text is not None, guest.console_text()[-3000:]
        TIMINGS['boot_to_ready_agent_off_s'] = round(
            time.monotonic() - guest.started, 1)
        yield guest
    finally:
        guest.stop()


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_line(
            'qga timings: ' + ', '.join('%s=%s' % kv
                                        for kv in sorted(TIMINGS.items())))
