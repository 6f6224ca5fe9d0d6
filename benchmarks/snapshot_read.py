"""What reading a snapshot's own bytes costs: ranged reads, bytes and wall
time of ``api.images.check_snapshot`` against a real HTTP server on
loopback that serves real images like Glance's ``GET /v2/images/{id}/file``
(the one in tests/test_api_images.py), with an optional latency added to
each request to stand for a real Glance.

    /work/venv-test/bin/python benchmarks/snapshot_read.py \\
        [--latency-ms 20] [--runs 5] [more images: qcow2 or raw files]

The images are made in a temp dir by tests/disk_images.py (mke2fs, sgdisk,
sfdisk, qemu-img).  Not a test: it prints figures.
"""
import argparse
import http.server
import os
import statistics
import sys
import tempfile
import threading
import time

import harness  # noqa: F401  (sets up Django)

from consistency_dashboard.api import images as image_calls  # noqa: E402
from consistency_dashboard.core import snapshot_bytes  # noqa: E402
from tests import disk_images  # noqa: E402
from tests import test_api_images as wire  # noqa: E402

IMAGES = ("ext4.qcow2", "ext4-recovery.qcow2", "ext4.qcow2c",
          "ext4.qcow2v2", "gpt.raw", "gpt.qcow2", "gpt.qcow2c", "mbr.qcow2")


class SlowGlance(wire.FakeGlance):
    latency = 0.0

    def do_GET(self):
        time.sleep(SlowGlance.latency)
        super().do_GET()


def measure(endpoint, name, data, runs):
    wire.FakeGlance.images = {name: data}
    times, result = [], None
    for _ in range(runs):
        wire.FakeGlance.requests, wire.FakeGlance.body_bytes = [], 0
        start = time.perf_counter()
        result = image_calls.check_snapshot(wire.Request(endpoint), name,
                                            size=len(data))
        times.append((time.perf_counter() - start) * 1000)
    assert result.reads == len(wire.FakeGlance.requests)
    return result, statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    SlowGlance.latency = args.latency_ms / 1000.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowGlance)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = "http://127.0.0.1:%d/image" % server.server_address[1]
    print("Reading snapshots through ranged GETs on loopback, %.0f ms added "
          "per request, median of %d runs; budget %d reads / %d KiB"
          % (args.latency_ms, args.runs, image_calls.MAX_READS,
             image_calls.MAX_BYTES // 1024))
    print("  %-22s %9s %5s %8s %7s  %s" % (
        "image", "file KiB", "reads", "KiB read", "ms", "result"))
    with tempfile.TemporaryDirectory() as root:
        images = [(name, disk_images.make(root, name)) for name in IMAGES]
        images += [(os.path.basename(path), path) for path in args.paths]
        for name, path in images:
            with open(path, "rb") as image:
                data = image.read()
            result, ms = measure(endpoint, name, data, args.runs)
            print("  %-22s %9d %5d %8.0f %7.1f  %s" % (
                name, len(data) // 1024, result.reads,
                result.bytes_read / 1024, ms,
                snapshot_bytes.summary(result)))
        wire.FakeGlance.mode = "ignore-range"
        result, ms = measure(endpoint, "ext4.qcow2",
                             open(images[0][1], "rb").read(), args.runs)
        print("  %-22s %9s %5d %8.0f %7.1f  %s" % (
            "Glance ignoring Range", "", result.reads,
            result.bytes_read / 1024, ms, result.reason))
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
