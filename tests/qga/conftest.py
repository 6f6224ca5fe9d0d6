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


@pytest.fixture(scope='session')
def vm(guest_image, tmp_path_factory):
    qemu = require_qemu()
    guest = Guest(guest_image, tmp_path_factory.mktemp('qga-vm'))
    guest.start(qemu)
    try:
        TIMINGS['boot_to_agent_s'] = round(
            guest.wait_for_agent(BOOT_TIMEOUT), 1)
        yield guest
    finally:
        guest.stop()


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_line(
            'qga timings: ' + ', '.join('%s=%s' % kv
                                        for kv in sorted(TIMINGS.items())))
