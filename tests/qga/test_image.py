"""The image builder's interface, which the embedded cloud relies on:
artefacts, manifest, kernel command line, cache."""

import hashlib
import json
import subprocess
import time

import pytest

from tests.qga.conftest import BUILD

pytestmark = pytest.mark.qga


def test_manifest_describes_the_artefacts(guest_image):
    manifest = json.loads((guest_image / 'manifest.json').read_text())
    cmdline = manifest['kernel_cmdline']
    assert cmdline.startswith('console=ttyS0 root=/dev/vda rw ')
    assert 'init=/sbin/consistency-init' in cmdline
    assert 'quiet' not in cmdline.split()
    for name, glance in (('vmlinuz', 'aki'), ('initrd.img', 'ari'),
                         ('rootfs.raw', 'ami')):
        entry = manifest['files'][name]
        path = guest_image / name
        assert entry['glance'] == glance
        assert entry['bytes'] == path.stat().st_size
    digest = hashlib.sha256((guest_image / 'vmlinuz').read_bytes())
    assert manifest['files']['vmlinuz']['sha256'] == digest.hexdigest()
    assert manifest['files']['rootfs.raw']['bytes'] == 512 * 1024 * 1024
    # ext4 superblock magic 0xEF53 at byte 1080: a bare filesystem, no
    # partition table, as Nova's ami root disk expects.
    with open(guest_image / 'rootfs.raw', 'rb') as disk:
        disk.seek(1080)
        assert disk.read(2) == b'\x53\xef'


def test_unchanged_inputs_are_served_from_the_cache(guest_image):
    start = time.monotonic()
    result = subprocess.run([str(BUILD)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'cached' in result.stderr
    assert time.monotonic() - start < 10
