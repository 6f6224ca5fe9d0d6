"""Image Service calls that ``openstack_dashboard.api.glance`` does not
make: the members of a shared image, and ranged reads of a snapshot
image's data.

Members: an administrator's Glance image list (``visibility=all``) holds
every project's images, shared ones included whether or not they are shared
with the current project; a member's list holds only those shared with it.
To show an admin what a member of the current project can use, the members
of a shared image of another project are read (Glance ``GET
/v2/images/{id}/members``, ``member_status``).

Ranged reads, for the snapshot reader (consistency_dashboard/core/
snapshot_bytes.py, ``check_snapshot``): ``GET /v2/images/{id}/file`` with
``Range: bytes=a-b`` answers 206 with just those bytes (DOMAIN.md "What a
freeze/thaw pair does not prove"), so the superblocks of a qcow2 or raw
snapshot are read with a few small requests, never a download.  A Glance or
store that ignores ``Range`` answers 200 with the whole image: the response
is closed unread and the check says "this Glance does not serve ranges".
The reads use the user's token from Horizon's session against the image
endpoint of the service catalog, with the TLS settings Horizon's own glance
client uses (openstack_dashboard/api/glance.py ``glanceclient``).

The Images tab's fix (setting properties on an image) needs no call of
ours: it is Horizon's ``api.glance.image_update_properties``.
"""
import contextlib
import logging
import re
import time
from urllib import parse

from django.conf import settings
import requests

from openstack_dashboard.api import base
from openstack_dashboard.api import glance
from openstack_dashboard.contrib.developer.profiler import api as profiler

from consistency_dashboard.core import snapshot_bytes

LOG = logging.getLogger(__name__)

# Per snapshot: a qcow2 ext4 disk takes 2 reads and 324 KiB, a GPT qcow2
# disk 3 reads, an MBR disk with logical partitions 6 (benchmarks/
# snapshot_read.py); the budget leaves room for many partitions and stops
# anything that would turn into a download.
MAX_READS = snapshot_bytes.DEFAULT_MAX_READS
MAX_BYTES = snapshot_bytes.DEFAULT_MAX_BYTES
# (connect, read) seconds per request, and the whole check's deadline
TIMEOUT = (5, 10)
DEADLINE = 20.0
CHUNK = 64 * 1024

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)\Z")

_STATUS_DETAIL = {
    204: "HTTP 204, the image has no data",
    401: "HTTP 401, the login is no longer valid",
    403: "HTTP 403, reading the image data is not allowed",
    404: "HTTP 404, the image or its data was not found",
}


def _endpoint(request):
    # glanceclient strips a version suffix from the catalog's endpoint too
    url = base.url_for(request, "image").rstrip("/")
    return re.sub(r"/v\d+(\.\d+)?\Z", "", url)


def _verify():
    """As glanceclient does with Horizon's settings: no verification wins
    over a CA bundle."""
    if getattr(settings, "OPENSTACK_SSL_NO_VERIFY", False):
        return False
    return getattr(settings, "OPENSTACK_SSL_CACERT", None) or True


class RangedReader(object):
    """``read(offset, length) -> bytes`` over one image's data, as the
    snapshot reader wants it: short past the end, ReadFailed (with a few
    words for the stored result) on any failure, RangesUnsupported on 200.
    ``requests`` counts the requests made."""

    def __init__(self, session, url, token, deadline):
        self.session = session
        self.url = url
        self.token = token
        self.deadline = deadline
        self.requests = 0

    def __call__(self, offset, length):
        if time.monotonic() > self.deadline:
            raise snapshot_bytes.BudgetExhausted(
                "the check ran out of time", detail="%d s" % DEADLINE)
        self.requests += 1
        headers = {"X-Auth-Token": self.token,
                   "Range": "bytes=%d-%d" % (offset, offset + length - 1),
                   "Accept-Encoding": "identity"}
        try:
            # no redirects: requests would carry X-Auth-Token to any host
            response = self.session.get(self.url, headers=headers,
                                        stream=True, timeout=TIMEOUT,
                                        allow_redirects=False)
            with contextlib.closing(response):
                return self._body(response, offset, length)
        except requests.Timeout as exc:
            LOG.info("Ranged read of %s timed out: %s", self.url, exc)
            raise snapshot_bytes.ReadFailed(
                "Glance did not answer in time", detail="Glance timed out")
        except requests.RequestException as exc:
            LOG.info("Ranged read of %s failed: %s", self.url, exc)
            raise snapshot_bytes.ReadFailed(
                "Glance could not be reached", detail="Glance unreachable")

    def _body(self, response, offset, length):
        status = response.status_code
        if status == 200:
            # The whole image is coming: closed without reading the body.
            LOG.info("Glance ignored Range on %s (200)", self.url)
            raise snapshot_bytes.RangesUnsupported(
                "this Glance does not serve ranges")
        if status == 416:
            return b""          # the range starts past the end of the data
        if status != 206:
            LOG.info("Ranged read of %s: HTTP %s", self.url, status)
            raise snapshot_bytes.ReadFailed(
                "Glance answered %d" % status,
                detail=_STATUS_DETAIL.get(status, "HTTP %d" % status))
        match = _CONTENT_RANGE.match(
            response.headers.get("Content-Range", "").strip())
        if not match or int(match.group(1)) != offset:
            LOG.info("Ranged read of %s: asked %d, got Content-Range %r",
                     self.url, offset, response.headers.get("Content-Range"))
            raise snapshot_bytes.ReadFailed(
                "Glance answered another range",
                detail="Glance answered another range")
        data = bytearray()
        for chunk in response.iter_content(CHUNK):
            data += chunk
            if len(data) >= length:
                break
        return bytes(data[:length])


@profiler.trace
def member_status(request, image_id, member_id):
    """The membership status (``accepted``, ``pending``, ``rejected``) of
    ``member_id`` on the image, or None when it is not a member."""
    for member in glance.glanceclient(request).image_members.list(image_id):
        found = member.get("member_id") if isinstance(member, dict) else \
            getattr(member, "member_id", None)
        if found == member_id:
            return (member.get("status") if isinstance(member, dict)
                    else getattr(member, "status", None))
    return None


@profiler.trace
def check_snapshot(request, image_id, size=None, max_reads=MAX_READS,
                   max_bytes=MAX_BYTES):
    """What the snapshot image's own bytes say (a DiskCheck), read with at
    most ``max_reads`` ranged requests and ``max_bytes`` bytes.  ``size``:
    the image's ``size`` from Glance, when known.  Never raises: every
    failure is a not-checkable DiskCheck with its reason."""
    try:
        url = "%s/v2/images/%s/file" % (_endpoint(request),
                                        parse.quote(image_id, safe=""))
        token = request.user.token.id
    except Exception:
        LOG.warning("No image endpoint to read snapshot %s", image_id,
                    exc_info=True)
        return snapshot_bytes.not_checkable("read", "no image endpoint")
    with requests.Session() as session:
        session.verify = _verify()
        reader = RangedReader(session, url, token,
                              time.monotonic() + DEADLINE)
        try:
            return snapshot_bytes.check_disk(
                reader, size=size, max_reads=max_reads, max_bytes=max_bytes)
        except Exception:
            LOG.exception("Reading snapshot %s failed", image_id)
            return snapshot_bytes.not_checkable(
                "read", "read error", reads=reader.requests)
