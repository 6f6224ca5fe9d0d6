"""Real faults on the embedded cloud (democloud/demo.sh): stop and start
its services as demo.sh does (each runs detached with a pid file in the
state's run folder; a stopped one is started again with the same command
line, environment and log), restart Glance with a quota in its
configuration, set a project's Nova quota, and act inside a guest through
its qemu-guest-agent (libvirt's qemu-agent-command: guest-exec) to hang or
fail its fsfreeze hook or stop the agent itself.

Every fault has its undo; the fixtures in test_fault_matrix_cloud.py call
them in finalizers, and :func:`restore_everything` is the last resort
(``demo.sh up`` is idempotent and restarts what is missing)."""

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

from tests.cloud import cloudlib

PORTS = {"keystone": 5000, "glance": 9292, "placement": 8778,
         "neutron": 9696, "nova-api": 8774, "horizon": 8080}
VIRSH = ["virsh", "-c", "qemu:///system"]


def state_dir(cloud):
    return cloud.env["demo"].get("CONSISTENCY_DEMO_STATE") or os.path.join(
        cloudlib.REPO, "democloud", "state")


def http_up(port):
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5)
        return True
    except urllib.error.HTTPError:
        return True
    except Exception:
        return False


def alive(pid):
    """The process runs (a zombie does not: a service this module started
    again is its child until it is reaped)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


class Service:
    """One daemon of the demo cloud, by its demo.sh name."""

    def __init__(self, cloud, name):
        self.cloud = cloud
        self.name = name
        self.state = state_dir(cloud)
        self.pidfile = os.path.join(self.state, "run", name + ".pid")
        self.log = os.path.join(self.state, "log", name + ".log")
        self.saved = None

    def pid(self):
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    def running(self):
        return self.pid() is not None

    def _remember(self, pid):
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = [a.decode() for a in f.read().split(b"\0") if a]
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = dict(item.decode().split("=", 1)
                       for item in f.read().split(b"\0") if b"=" in item)
        cwd = os.readlink("/proc/%d/cwd" % pid)
        return argv, env, cwd

    def stop(self, timeout=60):
        pid = self.pid()
        assert pid, "%s is not running" % self.name
        if self.saved is None:
            self.saved = self._remember(pid)
        os.kill(pid, signal.SIGTERM)
        end = time.time() + timeout
        while alive(pid) and time.time() < end:
            time.sleep(0.2)
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)
            time.sleep(0.5)
        if self.name in PORTS:
            cloudlib.wait_for("%s port closed" % self.name,
                              lambda: not http_up(PORTS[self.name]), 30, 0.3)

    def start(self, argv=None, timeout=180):
        """Start it again as demo.sh's start_bg did (same command line,
        environment, working folder and log), or with ``argv``."""
        if self.running():
            return
        assert self.saved, "%s was not stopped by this test" % self.name
        saved_argv, env, cwd = self.saved
        with open(self.log, "ab") as log:
            proc = subprocess.Popen(argv or saved_argv, env=env, cwd=cwd,
                                    stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT,
                                    start_new_session=True)
        with open(self.pidfile, "w") as f:
            f.write("%d\n" % proc.pid)
        if self.name in PORTS:
            cloudlib.wait_for("%s answering" % self.name,
                              lambda: http_up(PORTS[self.name]), timeout, 0.3)

    def restart_with(self, argv):
        self.stop()
        self.start(argv=argv)

    def restore(self):
        """Back as demo.sh started it (its own command line)."""
        if self.saved is None:
            return
        pid = self.pid()
        if pid and self._remember(pid)[0] != self.saved[0]:
            self.stop()
        self.start()


def compute_up_since(cloud, moment):
    """nova-compute reports up with a heartbeat newer than ``moment``."""
    services = cloud.admin.get(cloud.nova + "/os-services",
                               params={"binary": "nova-compute"},
                               headers=cloudlib.NOVA_HEADERS).json()["services"]
    for s in services:
        beat = cloudlib.core_timestamp(s.get("updated_at"))
        if s.get("state") == "up" and beat >= moment:
            return True
    return False


def wait_compute_up(cloud, since, timeout=180):
    cloudlib.wait_for("nova-compute reporting up",
                      lambda: compute_up_since(cloud, since), timeout, 2)


# ---------------------------------------------------------------- glance
def glance_with_options(service, options):
    """The command line of a Glance that reads a copy of its configuration
    folder with ``options`` ({section: {key: value}}) added."""
    argv = list(service.saved[0]) if service.saved else \
        service._remember(service.pid())[0]
    if service.saved is None:
        service.saved = service._remember(service.pid())
    key = "OS_GLANCE_CONFIG_DIR="
    index = next(i for i, a in enumerate(argv) if a.startswith(key))
    source = argv[index][len(key):]
    folder = tempfile.mkdtemp(prefix="cd-fault-glance-")
    for name in os.listdir(source):
        shutil.copy(os.path.join(source, name), folder)
    conf = os.path.join(folder, "glance-api.conf")
    with open(conf) as f:
        text = f.read()
    for section, values in options.items():
        lines = "".join("%s = %s\n" % kv for kv in values.items())
        marker = "[%s]\n" % section
        if marker in text:
            text = text.replace(marker, marker + lines, 1)
        else:
            text += "\n" + marker + lines
    with open(conf, "w") as f:
        f.write(text)
    argv[index] = key + folder
    return argv


# ---------------------------------------------------------------- nova quota
def project_id(cloud, who="demo"):
    return cloud.sessions[who].get_project_id()


def get_quota(cloud, key):
    r = cloud.admin.get(cloud.nova + "/os-quota-sets/%s" % project_id(cloud),
                        headers=cloudlib.NOVA_HEADERS)
    return r.json()["quota_set"][key]


def set_quota(cloud, key, value):
    cloud.admin.put(cloud.nova + "/os-quota-sets/%s" % project_id(cloud),
                    headers=cloudlib.NOVA_HEADERS,
                    json={"quota_set": {key: value}})


# ---------------------------------------------------------------- keystone
def revoke_user_tokens(cloud, username="demo"):
    """Every token of the user revoked, as Keystone does when an
    administrator disables a user: disable, then enable again."""
    keystone = cloud.env["admin"]["OS_AUTH_URL"].rstrip("/")
    users = cloud.admin.get(keystone + "/users",
                            params={"name": username}).json()["users"]
    user_id = users[0]["id"]
    for enabled in (False, True):
        cloud.admin.patch(keystone + "/users/%s" % user_id,
                          json={"user": {"enabled": enabled}})
    # Keystone's revocation takes effect for tokens issued before now;
    # a token issued in the same second is revoked too.
    time.sleep(1.1)


# ---------------------------------------------------------------- guests
def domain_of(cloud, server_id):
    s = cloud.admin.get(cloud.nova + "/servers/%s" % server_id,
                        headers=cloudlib.NOVA_HEADERS).json()["server"]
    return s["OS-EXT-SRV-ATTR:instance_name"]


def domain_state(domain):
    """libvirt's state of the domain ("running", "paused", "shut off"...)."""
    out = subprocess.run(VIRSH + ["domstate", domain], capture_output=True,
                         text=True, timeout=30)
    return out.stdout.strip() if out.returncode == 0 else None


def agent(domain, command, arguments=None, timeout=30):
    body = {"execute": command}
    if arguments is not None:
        body["arguments"] = arguments
    out = subprocess.run(VIRSH + ["qemu-agent-command", domain,
                                  json.dumps(body)],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError("qemu-agent-command %s: %s" % (command,
                                                          out.stderr.strip()))
    return json.loads(out.stdout)["return"]


def guest_sh(domain, script, wait=True, timeout=30):
    """Run ``sh -c script`` in the guest through its agent; (exit code,
    output) when ``wait``."""
    pid = agent(domain, "guest-exec", {
        "path": "/bin/sh", "arg": ["-c", script],
        "capture-output": True})["pid"]
    if not wait:
        return None, ""
    end = time.time() + timeout
    while True:
        status = agent(domain, "guest-exec-status", {"pid": pid})
        if status.get("exited"):
            out = base64.b64decode(status.get("out-data", "")).decode(
                "utf-8", "replace")
            return status.get("exitcode"), out
        if time.time() > end:
            raise AssertionError("guest command still running: %s" % script)
        time.sleep(0.3)


def agent_answers(domain):
    try:
        agent(domain, "guest-ping", timeout=15)
        return True
    except Exception:
        return False


HOOK = "/etc/qemu/fsfreeze-hook"
HOOK_SAVED = "/run/cd-fault-fsfreeze-hook.orig"


def install_hook(domain, body):
    """Replace the agent's fsfreeze hook (the Debian dispatcher that runs
    the guest kit's probe) with ``body``; the original is kept in /run."""
    script = ("[ -f %(saved)s ] || cp -p %(hook)s %(saved)s; "
              "cat > %(hook)s.new <<'EOF'\n%(body)s\nEOF\n"
              "chmod 755 %(hook)s.new && mv %(hook)s.new %(hook)s"
              % {"saved": HOOK_SAVED, "hook": HOOK, "body": body})
    code, out = guest_sh(domain, script)
    assert code == 0, out


def restore_hook(domain):
    code, out = guest_sh(domain, "[ ! -f %(saved)s ] || cp -p %(saved)s %(hook)s"
                         % {"saved": HOOK_SAVED, "hook": HOOK})
    assert code == 0, out


def stop_agent_for(domain, seconds):
    """SIGSTOP the guest's qemu-ga (it hangs: libvirt's commands get no
    answer) and SIGCONT it ``seconds`` later, from a guest process that
    outlives the command."""
    guest_sh(domain, 'pid=$(cat /run/consistency-qemu-ga.pid); '
                     'setsid sh -c "sleep 1; kill -STOP $pid; sleep %d; '
                     'kill -CONT $pid" >/dev/null 2>&1 </dev/null &'
             % seconds)
    time.sleep(3)
    assert not agent_answers(domain), "the agent still answers"


def restore_everything(cloud):
    """The last resort after the fault suite: every demo service running
    again (``demo.sh up`` restarts what is missing; fast while up)."""
    # The demo.sh of the checkout whose state this is (its plugin runs in
    # Horizon), not necessarily this one's.
    demo_sh = os.path.join(os.path.dirname(state_dir(cloud)), "demo.sh")
    if not os.path.exists(demo_sh):
        demo_sh = cloudlib.DEMO_SH
    status = subprocess.run(["bash", demo_sh, "status"],
                            capture_output=True, text=True, timeout=120)
    if status.returncode != 0:
        subprocess.run(["bash", demo_sh, "up"], capture_output=True,
                       text=True, timeout=900)


def children(pid):
    found = []
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                found += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return found


class StopOnFirstRequest:
    """Watch a service's uwsgi request log; on the first line holding
    ``needle``, hold the Horizon worker still (SIGSTOP), stop the service,
    and let Horizon go on (SIGCONT): the service is gone in the middle of
    Horizon's work, after exactly the requests already answered."""

    def __init__(self, cloud, service, needle):
        import threading
        self.service = service
        self.needle = needle
        self.horizon = Service(cloud, "horizon")
        self.fired = threading.Event()
        self.done = threading.Event()
        with open(service.log, "rb") as f:
            f.seek(0, os.SEEK_END)
            self.offset = f.tell()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        with open(self.service.log, "rb") as f:
            f.seek(self.offset)
            buffer = b""
            while not self.done.is_set():
                chunk = f.read()
                if not chunk:
                    time.sleep(0.01)
                    continue
                buffer += chunk
                if self.needle.encode() in buffer:
                    workers = children(self.horizon.pid())
                    for pid in workers:
                        os.kill(pid, signal.SIGSTOP)
                    try:
                        self.service.stop()
                    finally:
                        for pid in workers:
                            os.kill(pid, signal.SIGCONT)
                        self.fired.set()
                    return

    def close(self):
        self.done.set()
        self.thread.join(timeout=90)
