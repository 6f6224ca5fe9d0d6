"""Talking to the embedded demo cloud (democloud/demo.sh) from the `cloud`
tests: keystoneauth sessions, plain REST at compute microversion 2.98, and
the evidence collection around a test snapshot, fed to the plugin's core.

Nothing here is mocked: every call goes to the real Keystone, Glance and
Nova started by democloud/demo.sh, and the guests are real QEMU (TCG)
guests under libvirt.
"""

import datetime
import json
import os
import re
import subprocess
import time
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_SH = os.path.join(REPO, "democloud", "demo.sh")
MV = "2.98"
NOVA_HEADERS = {"OpenStack-API-Version": "compute %s" % MV,
                "X-OpenStack-Nova-API-Version": MV}
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


def demo_env():
    """The OS_* settings printed by `democloud/demo.sh env` (demo and
    admin), with environment variables of the same names winning."""
    out = {}
    for who in ("demo", "admin"):
        text = subprocess.run(["bash", DEMO_SH, "env", who], capture_output=True,
                              text=True, timeout=30, check=True).stdout
        values = dict(re.findall(r"(\w+)=(\S+)", text))
        out[who] = values
    return out


def require_cloud_or_skip(reason):
    if os.environ.get("CONSISTENCY_REQUIRE_CLOUD") == "1":
        pytest.fail("CONSISTENCY_REQUIRE_CLOUD=1 but %s" % reason, pytrace=False)
    pytest.skip("%s (start it with `democloud/demo.sh up`; set "
                "CONSISTENCY_REQUIRE_CLOUD=1 to make this a failure)" % reason)


class Cloud:
    def __init__(self, env):
        from keystoneauth1 import loading
        from keystoneauth1 import session as ks_session
        self.env = env
        self.sessions = {}
        for who, values in env.items():
            auth = loading.get_plugin_loader("password").load_from_options(
                auth_url=values["OS_AUTH_URL"], username=values["OS_USERNAME"],
                password=values["OS_PASSWORD"], project_name=values["OS_PROJECT_NAME"],
                user_domain_name="Default", project_domain_name="Default")
            self.sessions[who] = ks_session.Session(auth=auth, timeout=120)
        self.demo = self.sessions["demo"]
        self.admin = self.sessions["admin"]
        self.nova = self.demo.get_endpoint(service_type="compute", interface="public")
        self.glance = self.demo.get_endpoint(service_type="image", interface="public")
        self.horizon = env["demo"].get("CONSISTENCY_DEMO_HORIZON", "http://127.0.0.1:8080")

    # ------------------------------------------------------------ glance
    def image(self, image_id, sess=None):
        r = (sess or self.demo).get(self.glance + "/v2/images/%s" % image_id,
                                    raise_exc=False)
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()

    def image_by_name(self, name):
        imgs = self.demo.get(self.glance + "/v2/images", params={"name": name}).json()["images"]
        assert imgs, "image %s not found: was the demo seeded (demo.sh up)?" % name
        return imgs[0]

    def patch_image(self, image_id, set_properties=None, remove_properties=()):
        ops = []
        current = self.image(image_id)
        for key, value in (set_properties or {}).items():
            ops.append({"op": "replace" if key in current else "add",
                        "path": "/%s" % key, "value": value})
        for key in remove_properties:
            ops.append({"op": "remove", "path": "/%s" % key})
        return self.demo.patch(self.glance + "/v2/images/%s" % image_id, json=ops,
                               headers={"Content-Type": PATCH_TYPE}).json()

    def create_image(self, name, path, disk_format, properties):
        body = {"name": name, "disk_format": disk_format,
                "container_format": "bare", "visibility": "private"}
        body.update(properties)
        img = self.demo.post(self.glance + "/v2/images", json=body).json()
        with open(path, "rb") as f:
            self.demo.put(self.glance + "/v2/images/%s/file" % img["id"], data=f,
                          headers={"Content-Type": "application/octet-stream"})
        return wait_for("image %s active" % name,
                        lambda: (lambda i: i if i and i["status"] == "active" else None)(
                            self.image(img["id"])), 180)

    def delete_image(self, image_id):
        self.demo.delete(self.glance + "/v2/images/%s" % image_id, raise_exc=False)

    def guest_image_copy(self, name, properties, template="demo-plain"):
        """A new image with the demo guest's kernel, ramdisk and root file
        system (the same data as `template`) and the given properties."""
        tpl = self.image_by_name(template)
        cache = os.environ.get("CONSISTENCY_CACHE_DIR", "/var/cache/consistency-dashboard")
        path = os.path.join(cache, "guest-image", "rootfs.qcow2")
        fmt = "qcow2"
        if not os.path.exists(path):
            path, fmt = os.path.join(cache, "guest-image", "rootfs.raw"), "raw"
        props = {k: tpl[k] for k in ("kernel_id", "ramdisk_id", "os_command_line",
                                     "hw_disk_bus") if k in tpl}
        props.update(properties)
        return self.create_image(name, path, fmt, props)

    # ------------------------------------------------------------ nova
    def server(self, server_id):
        r = self.demo.get(self.nova + "/servers/%s" % server_id, headers=NOVA_HEADERS,
                          raise_exc=False)
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()["server"]

    def server_by_name(self, name):
        ss = self.demo.get(self.nova + "/servers/detail", params={"name": "^%s$" % name},
                           headers=NOVA_HEADERS).json()["servers"]
        assert ss, "server %s not found: was the demo seeded (demo.sh up)?" % name
        return ss[0]

    # ------------------------------------------------------------ cinder
    @property
    def cinder(self):
        """The Block Storage endpoint, or None when the demo runs without
        volumes (CONSISTENCY_DEMO_VOLUMES=0)."""
        try:
            return self.demo.get_endpoint(service_type="volumev3", interface="public")
        except Exception:
            return None

    def volume(self, volume_id):
        r = self.demo.get(self.cinder + "/volumes/%s" % volume_id, raise_exc=False)
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()["volume"]

    def wait_volume_available(self, volume_id, timeout=180):
        return wait_for("volume %s available" % volume_id,
                        lambda: (lambda v: v if v and v["status"] == "available" else None)(
                            self.volume(volume_id)), timeout, 2)

    def delete_volume(self, volume_id):
        if self.cinder:
            self.demo.delete(self.cinder + "/volumes/%s" % volume_id, raise_exc=False)

    def boot_volume(self, server):
        """The boot volume of a volume-backed server (None if image-backed)."""
        if server.get("image"):
            return None
        attached = server.get("os-extended-volumes:volumes_attached") or []
        for att in attached:
            vol = self.volume(att["id"])
            if vol and any(a.get("device") in ("/dev/vda", "/dev/sda")
                           for a in vol.get("attachments") or ()):
                return vol
        return self.volume(attached[0]["id"]) if attached else None

    def boot_from_new_volume(self, name, image_id, size=1):
        s = self.demo.post(self.nova + "/servers", headers=NOVA_HEADERS, json={"server": {
            "name": name, "flavorRef": self.flavor_id(), "networks": "none",
            "block_device_mapping_v2": [{
                "boot_index": 0, "uuid": image_id, "source_type": "image",
                "destination_type": "volume", "volume_size": size,
                "delete_on_termination": True}]}}).json()["server"]
        return self.wait_active(s["id"])

    def max_microversion(self):
        v = self.demo.get(self.nova + "/", headers=NOVA_HEADERS).json()["version"]
        return v["version"]

    def flavor_id(self, name="cd.guest"):
        for f in self.demo.get(self.nova + "/flavors", headers=NOVA_HEADERS).json()["flavors"]:
            if f["name"] == name:
                return f["id"]
        raise AssertionError("flavor %s missing" % name)

    def boot(self, name, image_id):
        s = self.demo.post(self.nova + "/servers", headers=NOVA_HEADERS, json={"server": {
            "name": name, "imageRef": image_id, "flavorRef": self.flavor_id(),
            "networks": "none"}}).json()["server"]
        return self.wait_active(s["id"])

    def wait_active(self, server_id, timeout=600):
        def active():
            s = self.server(server_id)
            assert s is not None, "server %s vanished" % server_id
            assert s["status"] != "ERROR", "server went to ERROR: %s" % s.get("fault")
            if s["status"] == "ACTIVE" and not s.get("OS-EXT-STS:task_state"):
                return s
            return None
        return wait_for("server %s ACTIVE" % server_id, active, timeout, 2)

    def rebuild(self, server_id, image_id):
        self.demo.post(self.nova + "/servers/%s/action" % server_id, headers=NOVA_HEADERS,
                       json={"rebuild": {"imageRef": image_id}})
        time.sleep(2)
        return self.wait_active(server_id)

    def delete_server(self, server_id, wait=True):
        self.demo.delete(self.nova + "/servers/%s" % server_id, headers=NOVA_HEADERS,
                         raise_exc=False)
        if wait:
            wait_for("server %s deleted" % server_id,
                     lambda: self.server(server_id) is None, 180, 2)

    def console(self, server_id):
        r = self.demo.post(self.nova + "/servers/%s/action" % server_id,
                           headers=NOVA_HEADERS, json={"os-getConsoleOutput": {}})
        return r.json()["output"]

    def create_snapshot(self, server_id, name, metadata):
        r = self.demo.post(self.nova + "/servers/%s/action" % server_id,
                           headers=NOVA_HEADERS, raise_exc=False,
                           json={"createImage": {"name": name, "metadata": metadata}})
        body = {}
        try:
            body = r.json()
        except ValueError:
            pass
        return r.status_code, body, r.headers.get("x-openstack-request-id")

    def actions(self, server_id, request_id):
        if not request_id:
            return ()
        r = self.demo.get(self.nova + "/servers/%s/os-instance-actions/%s"
                          % (server_id, request_id), headers=NOVA_HEADERS, raise_exc=False)
        if r.status_code != 200:
            return ()
        return tuple(r.json()["instanceAction"].get("events") or ())


def wait_for(what, fn, timeout, interval=1.0):
    end = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.time() > end:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


def wait_agent_ready(cloud, server_id, timeout=240):
    """Until the guest says its qemu-guest-agent runs (the guest kit's init
    prints it on the console), plus a few seconds for the agent to answer."""
    wait_for("qemu-ga in the guest", lambda: "qemu-ga started" in cloud.console(server_id),
             timeout, 3)
    time.sleep(10)


# The probe's thaw line, read with this regex of the tests' own rather than
# the plugin's parser: what the guest itself wrote is the reference the
# plugin's reading is checked against.
_THAW = re.compile(r"CONSISTENCY-PROBE v2 event=thaw seq=(\d+) .*?"
                   r"held=(\S+) free=(\S+)")


def guest_thaw(cloud, server_id, seq=None):
    """(seq, {mount: seconds held}, [free mounts]) of the guest's thaw line
    ``seq`` (the last one when None) in its console log, or None."""
    found = None
    for match in _THAW.finditer(cloud.console(server_id)):
        if seq is None or int(match.group(1)) == seq:
            found = match
    if found is None:
        return None
    held = {}
    if found.group(2) != "-":
        for item in found.group(2).split(","):
            mount, _, seconds = item.rpartition(":")
            held[mount] = float(seconds)
    free = [] if found.group(3) == "-" else found.group(3).split(",")
    return int(found.group(1)), held, free


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def run_test_snapshot(cloud, server_id, settle_timeout=300, thaw_timeout=90):
    """Run one test snapshot as the plugin does (baseline console read,
    createImage with the plugin's marker metadata, poll the image until it
    settles, read the console again) and return (verdict, evidence, image,
    seconds from createImage to the verdict)."""
    from consistency_dashboard.core import captured as core_captured
    from consistency_dashboard.core import poll as core_poll
    from consistency_dashboard.core import probe as core_probe
    from consistency_dashboard.core import verdict as core_verdict

    maximum = cloud.max_microversion()
    server = cloud.server(server_id)
    boot_volume = cloud.boot_volume(server) if not server.get("image") else None
    before = cloud.console(server_id)
    baseline = core_probe.baseline_from_console(before)
    requested_at = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    metadata = core_verdict.marker_metadata(requested_at, server_id, baseline)
    status, body, request_id = cloud.create_snapshot(
        server_id, unique("cd-test-snapshot"), metadata)
    image_id = body.get("image_id") if 200 <= status < 300 else None
    nova_answer = core_verdict.NovaAnswer(
        status, "" if 200 <= status < 300 else str(body), image_id)

    image = None
    fate = core_poll.ImageFate.NOT_CREATED
    if image_id:
        end = time.time() + settle_timeout
        while True:
            image = cloud.image(image_id)
            if image is None:
                fate = core_poll.ImageFate.VANISHED
                break
            if image["status"] == "active":
                fate = core_poll.ImageFate.ACTIVE
                break
            if image["status"] in ("deleted", "pending_delete"):
                fate = core_poll.ImageFate.DELETED
                break
            if image["status"] == "killed":
                fate = core_poll.ImageFate.KILLED
                break
            if time.time() > end:
                fate = core_poll.ImageFate.TIMED_OUT
                break
            time.sleep(0.5)
    after = cloud.console(server_id)
    report = core_probe.parse_console(after, baseline)
    # Volume-backed: Nova sends the thaw (one-way) only after the Cinder
    # snapshots left `creating`, after the API answered, so the image can be
    # active before the guest's thaw line is on the console.
    end = time.time() + thaw_timeout
    while report.unmatched_freezes and time.time() < end:
        time.sleep(2)
        report = core_probe.parse_console(cloud.console(server_id), baseline)
    boot_source = "volume" if boot_volume is not None else "image"
    captured = core_captured.resolve_captured(
        boot_source, core_captured.server_image_properties(server, maximum),
        boot_volume_image_metadata=(boot_volume or {}).get("volume_image_metadata"))
    evidence = core_verdict.Evidence(
        boot_source=boot_source, captured=captured, power_at_request="running",
        nova=nova_answer, image_fate=fate,
        image_status=(image or {}).get("status"),
        image_properties=image if image is not None else None,
        events=cloud.actions(server_id, request_id), probe=report,
        requested_at=requested_at,
        settled_at=datetime.datetime.now(datetime.timezone.utc),
        max_microversion=maximum)
    verdict = core_verdict.decide(evidence)
    elapsed = time.monotonic() - t0
    return verdict, evidence, image, elapsed


def forget_volume_snapshot(cloud, image):
    """Delete a volume-backed test snapshot: the image and the Cinder
    snapshots its block_device_mapping points at (Nova leaves those)."""
    bdm = image.get("block_device_mapping") or "[]"
    for item in json.loads(bdm) if isinstance(bdm, str) else bdm:
        if item.get("snapshot_id"):
            cloud.demo.delete(cloud.cinder + "/snapshots/%s" % item["snapshot_id"],
                              raise_exc=False)
    cloud.delete_image(image["id"])


def core_timestamp(value):
    """Epoch seconds of an API timestamp (0 when unparseable)."""
    from consistency_dashboard.core import timestamps
    moment = timestamps.parse_timestamp(value)
    return moment.timestamp() if moment is not None else 0
