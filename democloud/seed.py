"""Seed the demo cloud: identity (service users, endpoints, the demo
project and user), then demo images and instances that tell the story.

Run by demo.sh with the OpenStack venv's python.  Plain REST through a
keystoneauth1 session (novaclient stops at microversion 2.96); idempotent
by name, so re-running it changes nothing that is already there.
"""

import argparse
import datetime
import json
import os
import sys
import time

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading
from keystoneauth1 import session as ks_session

HOST = "127.0.0.1"
AUTH_URL = "http://%s:5000/v3" % HOST
ADMIN_PASSWORD = os.environ.get("DEMO_ADMIN_PASSWORD", "admin-secret")
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-secret")
SERVICE_PASSWORD = "service-secret"
NOVA_MV = {"OpenStack-API-Version": "compute 2.98",
           "X-OpenStack-Nova-API-Version": "2.98"}

# Cinder and Ceph run unless demo.sh runs with CONSISTENCY_DEMO_VOLUMES=0.
VOLUMES = os.environ.get("DEMO_VOLUMES", "1") == "1"
SERVICES = [
    ("glance", "image", "http://%s:9292" % HOST),
    ("placement", "placement", "http://%s:8778" % HOST),
    ("nova", "compute", "http://%s:8774/v2.1" % HOST),
    ("neutron", "network", "http://%s:9696" % HOST),
]
if VOLUMES:
    # Nova's [cinder] catalog_info and Horizon look for volumev3; the SDK
    # (openstack volume list) for block-storage.
    SERVICES += [("cinder", "volumev3", "http://%s:8776/v3/%%(project_id)s" % HOST),
                 ("cinderv3", "block-storage", "http://%s:8776/v3/%%(project_id)s" % HOST)]

# 104 MB: the Debian guest kernel reserves about 62 MB of it, and at 96 MB it
# panics while unpacking its initramfs ("System is deadlocked on memory");
# QEMU touches all of a guest's RAM within minutes, so every MB here is a MB
# of the host per guest (about 4 MiB less resident per guest than 112 MB,
# as measured with `demo.sh status`; the guest still has 43 MB for its
# page cache, qemu-guest-agent and the probe kit).
FLAVOR = {"name": "cd.guest", "ram": int(os.environ.get("DEMO_GUEST_RAM_MB", "104")),
          "vcpus": 1, "disk": 1}

# name -> (properties, extra kernel command line)
AGENT_AND_QUIESCE = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}
IMAGES = {
    "demo-consistent": (AGENT_AND_QUIESCE, ""),
    "demo-agent-only": ({"hw_qemu_guest_agent": "yes"}, ""),
    "demo-plain": ({}, ""),
    "demo-quiesce-no-agent": ({"os_require_quiesce": "yes"}, ""),
    "demo-dead-fsfreeze": ({"hw_require_fsfreeze": "yes"}, ""),
    # the image will be fixed only after an instance was booted from it
    "demo-fixed-later": ({}, ""),
    # properties right, but the guest does not start qemu-guest-agent
    "demo-agent-off": (AGENT_AND_QUIESCE, "consistency.agent=off"),
}
if VOLUMES:
    # the agent runs, but its fsfreeze hook fails every freeze
    IMAGES["demo-hook-fails"] = (AGENT_AND_QUIESCE, "consistency.fsfreeze_hook=fail")
# instance name -> image name
INSTANCES = {
    "demo-healthy": "demo-consistent",
    "demo-booted-before-fix": "demo-fixed-later",
    "demo-agent-stopped": "demo-agent-off",
}
# volume-backed instance name -> the image its boot volume is created from
# (Nova asks Cinder for the volume: source image, destination volume)
VOLUME_INSTANCES = {
    "demo-volume-healthy": "demo-consistent",
    "demo-volume-no-agent": "demo-quiesce-no-agent",
    "demo-volume-agent-stopped": "demo-agent-off",
    "demo-volume-hook-fails": "demo-hook-fails",
} if VOLUMES else {}


def log(msg):
    print("[seed %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def make_session(user, password, project):
    loader = loading.get_plugin_loader("password")
    auth = loader.load_from_options(
        auth_url=AUTH_URL, username=user, password=password,
        project_name=project, user_domain_name="Default",
        project_domain_name="Default")
    return ks_session.Session(auth=auth)


def admin_session():
    return make_session("admin", ADMIN_PASSWORD, "admin")


def demo_session():
    return make_session("demo", DEMO_PASSWORD, "demo")


def K(path):
    return AUTH_URL + path


# ----------------------------------------------------------------- identity
def find_one(sess, path, key, **params):
    r = sess.get(K(path), params=params).json()[key]
    return r[0] if r else None


def ensure_project(sess, name):
    p = find_one(sess, "/projects", "projects", name=name)
    if p:
        return p["id"]
    log("project %s" % name)
    return sess.post(K("/projects"), json={"project": {
        "name": name, "domain_id": "default",
        "description": "consistency-dashboard demo"}}).json()["project"]["id"]


def ensure_user(sess, name, password, project_id):
    u = find_one(sess, "/users", "users", name=name)
    if u:
        return u["id"]
    log("user %s" % name)
    return sess.post(K("/users"), json={"user": {
        "name": name, "password": password, "domain_id": "default",
        "default_project_id": project_id}}).json()["user"]["id"]


def ensure_role(sess, name):
    r = find_one(sess, "/roles", "roles", name=name)
    if r:
        return r["id"]
    return sess.post(K("/roles"), json={"role": {"name": name}}).json()["role"]["id"]


def grant(sess, project_id, user_id, role_id):
    sess.put(K("/projects/%s/users/%s/roles/%s" % (project_id, user_id, role_id)))


def ensure_endpoints(sess, name, stype, url):
    s = find_one(sess, "/services", "services", type=stype)
    if not s:
        log("service %s" % name)
        s = sess.post(K("/services"), json={"service": {
            "name": name, "type": stype}}).json()["service"]
    eps = sess.get(K("/endpoints"), params={"service_id": s["id"]}).json()["endpoints"]
    have = {e["interface"] for e in eps}
    for iface in ("public", "internal", "admin"):
        if iface not in have:
            sess.post(K("/endpoints"), json={"endpoint": {
                "service_id": s["id"], "interface": iface, "url": url,
                "region_id": "RegionOne"}})


def cmd_identity(args):
    sess = admin_session()
    roles = {n: ensure_role(sess, n) for n in ("admin", "member", "reader", "service")}
    service = ensure_project(sess, "service")
    for name, stype, url in SERVICES:
        uid = ensure_user(sess, name.replace("cinderv3", "cinder"), SERVICE_PASSWORD, service)
        grant(sess, service, uid, roles["admin"])
        grant(sess, service, uid, roles["service"])
        ensure_endpoints(sess, name, stype, url)
    demo = ensure_project(sess, "demo")
    demo_user = ensure_user(sess, "demo", DEMO_PASSWORD, demo)
    grant(sess, demo, demo_user, roles["member"])
    grant(sess, demo, demo_user, roles["reader"])
    admin_user = find_one(sess, "/users", "users", name="admin")["id"]
    admin_project = find_one(sess, "/projects", "projects", name="admin")["id"]
    info = {"auth_url": AUTH_URL, "demo_project_id": demo,
            "demo_user_id": demo_user, "admin_project_id": admin_project,
            "admin_user_id": admin_user,
            "horizon_url": "http://%s:8080/" % HOST, "volumes": VOLUMES}
    with open(os.path.join(args.state, "identity.json"), "w") as f:
        json.dump(info, f, indent=1)
    log("identity ready: demo project %s" % demo)


# ----------------------------------------------------------------- compute
def ep(sess, stype):
    return sess.get_endpoint(service_type=stype, interface="public")


def wait(what, fn, timeout, interval=2.0):
    end = time.time() + timeout
    while True:
        try:
            v = fn()
        except (ks_exc.ClientException, OSError) as e:
            v = None
            last = e
        else:
            last = None
        if v:
            return v
        if time.time() > end:
            raise SystemExit("timed out after %ss waiting for %s (%s)" % (timeout, what, last))
        time.sleep(interval)


def cmd_wait_compute(args):
    sess = admin_session()
    nova = ep(sess, "compute")

    seen = {"services": None}

    # A nova-compute started just now counts only with a heartbeat newer
    # than its start: the heartbeat of the one stopped by `down` stays "up"
    # for service_down_time (60 s), and the new one sends its first only
    # after init_host has restarted the guests.
    since = datetime.datetime.fromtimestamp(args.since, datetime.timezone.utc) \
        .replace(tzinfo=None) if args.since else None

    def fresh(s):
        if since is None:
            return True
        try:
            beat = datetime.datetime.fromisoformat(s["updated_at"] or "")
        except ValueError:
            return False
        return beat.replace(tzinfo=None) >= since

    def up():
        svcs = sess.get(nova + "/os-services", params={"binary": "nova-compute"},
                        headers=NOVA_MV).json()["services"]
        seen["services"] = [(s["host"], s["state"], s["status"], s["updated_at"])
                            for s in svcs]
        return [s for s in svcs if s["state"] == "up" and fresh(s)]
    try:
        wait("nova-compute to report up", up, 240)
    except SystemExit:
        log("nova-compute services seen (host, state, status, updated_at): %s"
            % (seen["services"] or "none registered"))
        raise
    log("nova-compute is up")


def cmd_wait_hypervisor(args):
    sess = admin_session()
    nova = ep(sess, "compute")
    placement = ep(sess, "placement")

    def ready():
        hv = sess.get(nova + "/os-hypervisors", headers=NOVA_MV).json()["hypervisors"]
        if not hv:
            return None
        rps = sess.get(placement + "/resource_providers",
                       headers={"OpenStack-API-Version": "placement 1.14"}).json()["resource_providers"]
        for rp in rps:
            inv = sess.get(placement + "/resource_providers/%s/inventories" % rp["uuid"],
                           headers={"OpenStack-API-Version": "placement 1.14"}).json()["inventories"]
            if "MEMORY_MB" in inv:
                return rp
        return None
    rp = wait("the hypervisor in placement", ready, 180)
    log("hypervisor ready: %s" % rp["name"])


# ----------------------------------------------------------------- content
def load_manifest(guest_dir):
    path = os.path.join(guest_dir, "manifest.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        m = json.load(f)
    cmdline = None
    for key in ("cmdline", "kernel_cmdline", "os_command_line", "command_line"):
        if isinstance(m.get(key), str):
            cmdline = m[key]
            break
    if cmdline is None:
        cmdline = "console=ttyS0 root=/dev/vda rw"
    m["_cmdline"] = cmdline
    return m


def find_image(sess, glance, name):
    imgs = sess.get(glance + "/v2/images", params={"name": name}).json()["images"]
    imgs = [i for i in imgs if i["status"] == "active"] or imgs
    return imgs[0] if imgs else None


REPLACED = set()


def upload_image(sess, glance, name, path, disk_format, props, visibility="shared"):
    img = find_image(sess, glance, name)
    build = props.get("demo_guest_build")
    if img and img["status"] == "active" and img.get("demo_guest_build") == build:
        return img
    if img and img["status"] == "active":
        # a new guest build (its init or the guest kit changed): replace
        log("image %s is from another guest build: replacing it" % name)
        REPLACED.add(name)
    if img:
        sess.delete(glance + "/v2/images/%s" % img["id"])
    body = {"name": name, "disk_format": disk_format,
            "container_format": {"aki": "aki", "ari": "ari"}.get(disk_format, "bare"),
            "visibility": visibility}
    body.update(props)
    img = sess.post(glance + "/v2/images", json=body).json()
    with open(path, "rb") as f:
        sess.put(glance + "/v2/images/%s/file" % img["id"], data=f,
                 headers={"Content-Type": "application/octet-stream"})
    img = wait("image %s active" % name,
               lambda: (lambda i: i if i["status"] == "active" else None)(
                   sess.get(glance + "/v2/images/%s" % img["id"]).json()), 120, 1)
    log("image %s uploaded (%s)" % (name, img["id"]))
    return img


def ensure_flavor(admin, nova):
    fl = admin.get(nova + "/flavors/detail", headers=NOVA_MV).json()["flavors"]
    for f in fl:
        if f["name"] == FLAVOR["name"]:
            if f["ram"] == FLAVOR["ram"]:
                return f["id"]
            # flavors are immutable: replace it (servers keep their copy)
            admin.delete(nova + "/flavors/%s" % f["id"], headers=NOVA_MV)
    log("flavor %s" % FLAVOR["name"])
    return admin.post(nova + "/flavors", headers=NOVA_MV, json={"flavor": dict(
        FLAVOR, id=None)}).json()["flavor"]["id"]


def find_server(sess, nova, name):
    ss = sess.get(nova + "/servers/detail", params={"name": "^%s$" % name},
                  headers=NOVA_MV).json()["servers"]
    return ss[0] if ss else None


def wait_server(sess, nova, sid, timeout=300):
    def st():
        s = sess.get(nova + "/servers/%s" % sid, headers=NOVA_MV).json()["server"]
        if s["status"] == "ERROR":
            raise SystemExit("server %s went to ERROR: %s" % (s["name"], s.get("fault")))
        return s if s["status"] == "ACTIVE" and not s.get("OS-EXT-STS:task_state") else None
    return wait("server %s ACTIVE" % sid, st, timeout)


def cmd_wait_volume(args):
    sess = admin_session()
    cinder = sess.get_endpoint(service_type="volumev3", interface="public")

    def up():
        svcs = sess.get(cinder + "/os-services").json()["services"]
        return [s for s in svcs if s["binary"] == "cinder-volume" and s["state"] == "up"]
    svcs = wait("cinder-volume to report up", up, 180)
    log("cinder-volume is up: %s" % ", ".join(s["host"] for s in svcs))


def boot(sess, nova, name, image_id, flavor_id, volume=False):
    s = find_server(sess, nova, name)
    if s and s["status"] == "ERROR":
        log("server %s in ERROR: deleting and booting again" % name)
        sess.delete(nova + "/servers/%s" % s["id"], headers=NOVA_MV)
        wait("server %s deleted" % name, lambda: find_server(sess, nova, name) is None, 120)
        s = None
    if s:
        return s, False
    log("booting %s%s" % (name, " from a new volume" if volume else ""))
    body = {"name": name, "flavorRef": flavor_id, "networks": "none"}
    if volume:
        body["block_device_mapping_v2"] = [{
            "boot_index": 0, "uuid": image_id, "source_type": "image",
            "destination_type": "volume", "volume_size": 1,
            "delete_on_termination": True}]
    else:
        body["imageRef"] = image_id
    s = sess.post(nova + "/servers", headers=NOVA_MV,
                  json={"server": body}).json()["server"]
    return s, True


def guest_images(demo, glance, manifest, guest_dir):
    """Kernel, ramdisk and one root image per posture; returns name -> image."""
    build = {"demo_guest_build": manifest.get("inputs_sha256", "")[:16]}
    kernel = upload_image(demo, glance, "demo-guest-kernel",
                          os.path.join(guest_dir, "vmlinuz"), "aki", build)
    ramdisk = upload_image(demo, glance, "demo-guest-initrd",
                           os.path.join(guest_dir, "initrd.img"), "ari", build)
    rootfs = os.path.join(guest_dir, "rootfs.qcow2")
    fmt = "qcow2"
    if not os.path.exists(rootfs):
        rootfs, fmt = os.path.join(guest_dir, "rootfs.raw"), "raw"
    out = {}
    for name, (props, extra) in IMAGES.items():
        cmdline = manifest["_cmdline"] + (" " + extra if extra else "")
        p = dict(props, kernel_id=kernel["id"], ramdisk_id=ramdisk["id"],
                 os_command_line=cmdline, hw_disk_bus="virtio", **build)
        out[name] = upload_image(demo, glance, name, rootfs, fmt, p)
    return out


def cmd_content(args):
    manifest = load_manifest(args.guest_dir)
    if manifest is None:
        log("no guest image in %s: no demo images or instances" % args.guest_dir)
        return
    admin = admin_session()
    demo = demo_session()
    nova = ep(admin, "compute")
    glance = ep(demo, "image")
    flavor = ensure_flavor(admin, nova)
    images = guest_images(demo, glance, manifest, args.guest_dir)
    started = []
    # guests seeded from a replaced image run the old build: boot them again
    for sname, iname in list(INSTANCES.items()) + list(VOLUME_INSTANCES.items()):
        old = find_server(demo, nova, sname)
        if old and (iname in REPLACED or "demo-guest-kernel" in REPLACED):
            log("server %s runs an older guest build: deleting it to boot it again" % sname)
            demo.delete(nova + "/servers/%s" % old["id"], headers=NOVA_MV)
            wait("server %s deleted" % sname, lambda: find_server(demo, nova, sname) is None, 180)
    for sname, iname in INSTANCES.items():
        s, new = boot(demo, nova, sname, images[iname]["id"], flavor)
        started.append(s["id"])
    for sname, iname in VOLUME_INSTANCES.items():
        s, new = boot(demo, nova, sname, images[iname]["id"], flavor, volume=True)
        started.append(s["id"])
    for sid in started:
        s = wait_server(demo, nova, sid)
        log("server %s ACTIVE" % s["name"])
    # The story: the image was fixed after demo-booted-before-fix was booted.
    img = images["demo-fixed-later"]
    if img.get("hw_qemu_guest_agent") != "yes":
        demo.patch(glance + "/v2/images/%s" % img["id"], json=[
            {"op": "add", "path": "/hw_qemu_guest_agent", "value": "yes"},
            {"op": "add", "path": "/os_require_quiesce", "value": "yes"}],
            headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
        log("image demo-fixed-later fixed after its instance booted")
    log("content ready")


# ----------------------------------------------------------------- memory
def _guest_name(domain):
    """The Nova server name libvirt keeps in a running domain's metadata."""
    try:
        with open("/run/libvirt/qemu/%s.xml" % domain) as f:
            xml = f.read()
    except OSError:
        return "?"
    start = xml.find("<nova:name>")
    end = xml.find("</nova:name>", start)
    return xml[start + len("<nova:name>"):end] if 0 <= start < end else "?"


def cmd_rss(args):
    """RSS and PSS of every part of the stack, in MiB, and the totals.

    RSS counts a page shared by several processes (libraries, a file both
    map) once per process, so the sum over-counts; PSS splits each shared
    page between the processes that map it, so the PSS sum is what the
    stack takes.  A part is a process started by demo.sh with its children,
    libvirtd and virtlogd, each guest's QEMU, and any privsep-helper or
    epmd."""
    import psutil
    run = os.path.join(args.state, "run")
    roots = []
    for f in sorted(os.listdir(run)) if os.path.isdir(run) else []:
        if f.endswith(".pid"):
            try:
                roots.append((f[:-4], int(open(os.path.join(run, f)).read())))
            except ValueError:
                pass
    for name in ("virtlogd", "libvirtd"):
        try:
            roots.append((name, int(open("/run/%s.pid" % name).read())))
        except (OSError, ValueError):
            pass
    seen = set()

    def mem(procs):
        rss = pss = 0
        for p in procs:
            try:
                full = p.memory_full_info()
            except psutil.Error:
                continue
            rss += full.rss
            pss += full.pss
        return rss, pss

    def tree(pid):
        try:
            p = psutil.Process(pid)
            return [p] + p.children(recursive=True)
        except psutil.Error:
            return []
    services, guests = [], []
    for name, pid in roots:
        procs = [p for p in tree(pid) if p.pid not in seen]
        seen.update(p.pid for p in procs)
        services.append((name, procs))
    prefix = os.environ.get("DEMO_INSTANCE_PREFIX", "instance-")
    helpers = {}
    for p in psutil.process_iter(["pid", "name", "cmdline"]):
        if p.pid in seen:
            continue
        cmd = p.info["cmdline"] or []
        line = " ".join(cmd)
        if "qemu-system" in (p.info["name"] or "") and "guest=" + prefix in line:
            domain = line.split("guest=", 1)[1].split(",")[0].split()[0]
            guests.append(("guest %s (%s)" % (_guest_name(domain), domain), [p]))
            seen.add(p.pid)
        elif p.info["name"] == "epmd":
            helpers.setdefault("epmd", []).append(p)
            seen.add(p.pid)
        elif "privsep-helper" in line and args.state in line:
            ctx = cmd[cmd.index("--privsep_context") + 1] \
                if "--privsep_context" in cmd else "?"
            helpers.setdefault("privsep-helper %s" % ctx, []).append(p)
            seen.add(p.pid)
    mb = 1024.0 * 1024.0
    totals = {}
    print("%-56s %8s %8s" % ("part", "RSS MiB", "PSS MiB"))
    for group, rows in (("services", services + sorted(helpers.items())),
                        ("guests", guests)):
        grss = gpss = 0
        for name, procs in rows:
            rss, pss = mem(procs)
            grss += rss
            gpss += pss
            print("  %-54s %8.0f %8.0f" % (name, rss / mb, pss / mb))
        totals[group] = (grss, gpss)
        label = "%s total (%d)" % (group, len(rows))
        print("%-56s %8.0f %8.0f" % (label, grss / mb, gpss / mb))
    rss = sum(t[0] for t in totals.values())
    pss = sum(t[1] for t in totals.values())
    print("%-56s %8.0f %8.0f" % ("whole stack", rss / mb, pss / mb))
    print("whole stack: %.2f GB RSS summed, %.2f GB PSS; load average %s"
          % (rss / 1e9, pss / 1e9, " ".join("%.2f" % x for x in os.getloadavg())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--guest-dir", required=True)
    ap.add_argument("--since", type=float, default=0,
                    help="wait-compute: a heartbeat newer than this (epoch seconds)")
    ap.add_argument("command", choices=["identity", "wait-compute", "wait-volume",
                                        "wait-hypervisor", "content", "rss"])
    args = ap.parse_args()
    {"identity": cmd_identity, "wait-compute": cmd_wait_compute,
     "wait-hypervisor": cmd_wait_hypervisor, "content": cmd_content,
     "wait-volume": cmd_wait_volume,
     "rss": cmd_rss}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
