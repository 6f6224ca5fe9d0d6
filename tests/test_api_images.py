"""consistency_dashboard.api.images against a real HTTP server on
loopback that serves real images (made by qemu-img, mke2fs, sgdisk in a
temp dir) like Glance's ``GET /v2/images/{id}/file``: ranges (206), a store
that ignores them (200), errors, the budget; reads and bytes are counted on
the wire."""
import http.server
import re
import socket
import threading
import time

from django.test import override_settings
import pytest

from consistency_dashboard.api import images as image_calls
from consistency_dashboard.core import snapshot_bytes as sb
from tests import disk_images
from tests import wire

IMAGE_ID = "5a1b2c3d-0000-4000-8000-000000000001"
BIG = 256 * 1024 * 1024


class FakeGlance(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without this, Nagle and the
    # client's delayed ACK hold each answer ~40 ms on loopback
    disable_nagle_algorithm = True
    images = {}
    mode = "ranges"
    requests = []
    body_bytes = 0
    # Requests whose handler returned (its body written and counted).  The
    # client has its answer once the body is on the socket, before the
    # handler counts it: read body_bytes after settled().
    answered = 0
    changed = threading.Condition()

    @classmethod
    def settled(cls, timeout=30):
        """Wait until every request received was answered to the end."""
        with cls.changed:
            if not cls.changed.wait_for(
                    lambda: cls.answered == len(cls.requests), timeout):
                raise AssertionError("%d of %d requests still answering" % (
                    len(cls.requests) - cls.answered, len(cls.requests)))

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except ConnectionResetError:
            pass        # the client closed a response it would not read

    def do_GET(self):
        with FakeGlance.changed:
            FakeGlance.requests.append((self.path, dict(self.headers)))
        try:
            self._get()
        finally:
            with FakeGlance.changed:
                FakeGlance.answered += 1
                FakeGlance.changed.notify_all()

    def _get(self):
        match = re.match(r"/image/v2/images/([^/]+)/file\Z", self.path)
        data = FakeGlance.images.get(match.group(1)) if match else None
        if data is None or FakeGlance.mode == "404":
            return self._answer(404, b"Not Found")
        if FakeGlance.mode == "ignore-range":
            return self._whole()
        if FakeGlance.mode == "slow":
            time.sleep(1.0)
        first, last = map(int, re.match(
            r"bytes=(\d+)-(\d+)\Z", self.headers["Range"]).groups())
        if FakeGlance.mode == "wrong-range":
            first += 512
        if first >= len(data):
            return self._answer(416, b"")
        part = data[first:last + 1]
        self._answer(206, part, {"Content-Range": "bytes %d-%d/%d" % (
            first, first + len(part) - 1, len(data))})

    def _answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in dict(headers).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # counted before it is sent: the client may have read it and
        # returned before this thread runs again
        FakeGlance.body_bytes += len(body)
        self.wfile.write(body)

    def _whole(self):
        """200 with a 256 MiB body, as a store that ignores Range would
        send the whole image; counts what the socket accepted."""
        self.send_response(200)
        self.send_header("Content-Length", str(BIG))
        self.end_headers()
        chunk = b"\x00" * 65536
        try:
            for _ in range(BIG // len(chunk)):
                self.wfile.write(chunk)
                FakeGlance.body_bytes += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("glance-images"))

    def image(name):
        try:
            with open(disk_images.make(root, name), "rb") as data:
                return data.read()
        except disk_images.Missing as missing:
            pytest.skip("%s is not installed (tools/run-tests.sh installs "
                        "it)" % missing)
    return image


@pytest.fixture
def glance():
    FakeGlance.images, FakeGlance.mode = {}, "ranges"
    FakeGlance.requests, FakeGlance.body_bytes = [], 0
    FakeGlance.answered = 0
    with wire.serve(FakeGlance) as port:
        yield "http://127.0.0.1:%d/image" % port


def Request(endpoint):
    return wire.Request(endpoint, "image", "glance")


def ranges_asked():
    return [headers.get("Range") for _path, headers in FakeGlance.requests]


def test_reads_a_real_qcow2_snapshot_with_two_ranged_reads(glance, images):
    FakeGlance.images[IMAGE_ID] = data = images("ext4-recovery.qcow2")
    result = image_calls.check_snapshot(Request(glance), IMAGE_ID,
                                        size=len(data))
    assert (result.checkable, result.reason_code, sb.summary(result)) == (
        True, "needs-recovery", "ext4 (whole disk): journal needs recovery")
    assert ranges_asked() == ["bytes=0-69631", "bytes=196608-458751"]
    assert result.reads == len(FakeGlance.requests) == 2
    FakeGlance.settled()
    assert result.bytes_read == FakeGlance.body_bytes == 69632 + 262144
    path, headers = FakeGlance.requests[0]
    assert path == "/image/v2/images/%s/file" % IMAGE_ID
    assert headers["X-Auth-Token"] == "tok-123"


def test_reads_a_gpt_qcow2_and_past_the_end_without_size(glance, images):
    FakeGlance.images[IMAGE_ID] = images("gpt.qcow2")
    result = image_calls.check_snapshot(Request(glance), IMAGE_ID)
    assert [(f.where, f.kind, f.state.value) for f in result.filesystems] \
        == [("partition 1", "bios-boot", "not-checkable"),
            ("partition 2", "vfat", "not-checkable"),
            ("partition 3", "ext4", "clean")]
    assert result.all_clean
    assert result.reads == len(FakeGlance.requests) == 3
    FakeGlance.settled()
    assert result.bytes_read == FakeGlance.body_bytes


def test_a_range_past_the_end_reads_as_empty(glance, images):
    FakeGlance.images[IMAGE_ID] = images("ext4.qcow2")
    reader = image_calls.RangedReader(
        __import__("requests").Session(),
        glance + "/v2/images/%s/file" % IMAGE_ID, "tok-123",
        time.monotonic() + 10)
    assert reader(10 ** 9, 4096) == b""
    assert reader(0, 4) == b"QFI\xfb"


def test_glance_that_ignores_range_is_detected_and_not_downloaded(
        glance, images):
    FakeGlance.images[IMAGE_ID] = images("ext4.qcow2")
    FakeGlance.mode = "ignore-range"
    result = image_calls.check_snapshot(Request(glance), IMAGE_ID)
    assert (result.checkable, result.ranges_unsupported,
            result.reason_code) == (False, True, "ranges")
    assert result.reason == ("This Glance does not serve byte ranges, so "
                             "the snapshot's bytes were not read.")
    assert len(FakeGlance.requests) == 1 and result.bytes_read == 0
    # The server's write fails once the client closed the connection:
    # counted is what the loopback socket buffers took before the close,
    # not the 256 MiB body.
    FakeGlance.settled()
    assert FakeGlance.body_bytes < BIG // 8, FakeGlance.body_bytes


def test_not_found_is_a_sentence(glance):
    result = image_calls.check_snapshot(Request(glance), "gone")
    assert (result.checkable, result.reason_code, result.detail) == (
        False, "read", "HTTP 404, the image or its data was not found")
    assert result.reason == ("The snapshot's bytes could not be read (HTTP "
                             "404, the image or its data was not found).")
    assert len(FakeGlance.requests) == 1
    assert sb.decode(sb.encode(result)).reason == result.reason


def test_another_range_than_asked_is_refused(glance, images):
    FakeGlance.images[IMAGE_ID] = images("ext4.qcow2")
    FakeGlance.mode = "wrong-range"
    result = image_calls.check_snapshot(Request(glance), IMAGE_ID)
    assert (result.reason_code, result.detail) == (
        "read", "Glance answered another range")


def test_budget_of_reads_is_kept_on_the_wire(glance, images):
    FakeGlance.images[IMAGE_ID] = images("gpt.qcow2")
    result = image_calls.check_snapshot(Request(glance), IMAGE_ID,
                                        max_reads=2)
    assert (result.checkable, result.reason_code) == (False, "budget")
    assert len(FakeGlance.requests) == result.reads == 2


def test_budget_of_bytes_is_kept_on_the_wire(glance, images):
    FakeGlance.images[IMAGE_ID] = images("ext4.qcow2")
    result = image_calls.check_snapshot(Request(glance), IMAGE_ID,
                                        max_bytes=128 * 1024)
    assert (result.checkable, result.reason_code) == (False, "budget")
    FakeGlance.settled()
    assert FakeGlance.body_bytes == result.bytes_read == 69632
    assert ranges_asked() == ["bytes=0-69631"]


def test_slow_glance_times_out(glance, images, monkeypatch):
    monkeypatch.setattr(image_calls, "TIMEOUT", (1, 0.2))
    FakeGlance.images[IMAGE_ID] = images("ext4.qcow2")
    FakeGlance.mode = "slow"
    result = image_calls.check_snapshot(Request(glance), IMAGE_ID)
    assert (result.checkable, result.reason_code, result.detail) == (
        False, "read", "Glance timed out")
    assert result.reads == 1


def test_the_whole_check_has_a_deadline(glance, images, monkeypatch):
    monkeypatch.setattr(image_calls, "DEADLINE", -1.0)
    FakeGlance.images[IMAGE_ID] = images("ext4.qcow2")
    result = image_calls.check_snapshot(Request(glance), IMAGE_ID)
    assert (result.checkable, result.reason_code) == (False, "budget")
    assert FakeGlance.requests == []


def test_unreachable_glance():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    result = image_calls.check_snapshot(
        Request("http://127.0.0.1:%d/image" % port), IMAGE_ID)
    assert (result.checkable, result.reason_code, result.detail) == (
        False, "read", "Glance unreachable")


def test_no_image_endpoint_in_the_catalog(glance):
    request = Request(glance)
    request.user.service_catalog = []
    result = image_calls.check_snapshot(request, IMAGE_ID)
    assert (result.reason_code, result.detail) == ("read",
                                                   "no image endpoint")
    assert FakeGlance.requests == []


def test_version_suffix_of_the_endpoint_is_dropped(glance, images):
    FakeGlance.images[IMAGE_ID] = images("ext4.qcow2")
    result = image_calls.check_snapshot(Request(glance + "/v2/"),
                                        IMAGE_ID)
    assert result.all_clean
    assert FakeGlance.requests[0][0] == "/image/v2/images/%s/file" % IMAGE_ID


@pytest.mark.parametrize("no_verify,cacert,expected", [
    (False, None, True),
    (False, "/etc/ssl/ca.pem", "/etc/ssl/ca.pem"),
    (True, "/etc/ssl/ca.pem", False),
])
def test_tls_settings_as_horizons_glance_client(no_verify, cacert, expected):
    with override_settings(OPENSTACK_SSL_NO_VERIFY=no_verify,
                           OPENSTACK_SSL_CACERT=cacert):
        assert image_calls._verify() == expected
