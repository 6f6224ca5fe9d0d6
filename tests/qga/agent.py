"""Minimal clients for a real qemu-guest-agent socket and QEMU's QMP socket,
and a QEMU guest booted from the test image. No mocks: these talk to QEMU."""

import base64
import json
import os
import pathlib
import random
import re
import socket
import subprocess
import time


class AgentError(Exception):
    """The agent answered with an error."""


class AgentTimeout(Exception):
    """No answer in time (agent stopped, hung or not started)."""


class Agent:
    """The host side of the virtio-serial agent channel.

    Protocol (QEMU-GUEST.md): send 0xFF, then ``guest-sync-delimited`` with a
    random id, resent every 2 s until the answer (prefixed by 0xFF) carries
    that id; after that, one JSON command, one JSON answer per line.
    """

    def __init__(self, path):
        self.path = str(path)
        self.sock = None
        self.buf = b''

    def _connect(self):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(self.path)
            self.buf = b''

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _send(self, data):
        self._connect()
        self.sock.sendall(data)

    def _read_some(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AgentTimeout('no answer from the agent')
        self.sock.settimeout(min(remaining, 0.5))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        if not data:
            self.close()
            raise AgentTimeout('agent socket closed')
        self.buf += data
        return True

    def _messages(self):
        while b'\n' in self.buf:
            line, self.buf = self.buf.split(b'\n', 1)
            line = line.replace(b'\xff', b'').strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                continue

    def sync(self, timeout=30):
        """Resynchronise; raises AgentTimeout if the agent does not answer."""
        deadline = time.monotonic() + timeout
        sync_id = random.randint(1, 2**31)
        request = b'\xff' + json.dumps(
            {'execute': 'guest-sync-delimited',
             'arguments': {'id': sync_id}}).encode() + b'\n'
        next_send = 0
        while True:
            now = time.monotonic()
            if now >= next_send:
                try:
                    self._send(request)
                except OSError:
                    self.close()
                next_send = now + 2
            try:
                if self.sock is None:
                    time.sleep(0.5)
                    if time.monotonic() > deadline:
                        raise AgentTimeout('no answer from the agent')
                    continue
                self._read_some(min(deadline, next_send))
            except AgentTimeout:
                if time.monotonic() >= deadline:
                    raise
                continue
            for message in self._messages():
                if message.get('return') == sync_id:
                    return time.monotonic() - (deadline - timeout)

    def execute(self, command, arguments=None, timeout=60, sync=True):
        """``sync=False``: the caller synced just before (to time the
        command itself, without the sync's round trip)."""
        if sync:
            self.sync(timeout=min(timeout, 20))
        request = {'execute': command}
        if arguments is not None:
            request['arguments'] = arguments
        self._send(json.dumps(request).encode() + b'\n')
        deadline = time.monotonic() + timeout
        while True:
            self._read_some(deadline)
            for message in self._messages():
                if 'error' in message:
                    raise AgentError(message['error'].get('desc', message))
                if 'return' in message:
                    return message['return']

    def run(self, argv, timeout=30, stdin=None):
        """guest-exec ARGV (``stdin``: bytes fed to it) and wait for it;
        returns the exit code."""
        arguments = {'path': argv[0], 'arg': argv[1:],
                     'capture-output': True}
        if stdin is not None:
            arguments['input-data'] = base64.b64encode(stdin).decode()
        pid = self.execute('guest-exec', arguments)['pid']
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.execute('guest-exec-status', {'pid': pid})
            if status.get('exited'):
                return status.get('exitcode')
            time.sleep(0.2)
        raise AgentTimeout('guest-exec %r did not finish' % (argv,))


class Qmp:
    """QEMU's monitor: only to see the events libvirt relies on."""

    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(path))
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.buf = b''
        self.events = []
        self._read_until(lambda m: 'QMP' in m, 10)
        self.command('qmp_capabilities')

    def _read_until(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while True:
            while b'\n' in self.buf:
                line, self.buf = self.buf.split(b'\n', 1)
                if not line.strip():
                    continue
                message = json.loads(line)
                if 'event' in message:
                    self.events.append(message)
                if predicate(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(min(remaining, 0.5))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                return None
            self.buf += data

    def command(self, name, arguments=None, timeout=10):
        request = {'execute': name}
        if arguments:
            request['arguments'] = arguments
        self.sock.sendall(json.dumps(request).encode() + b'\n')
        return self._read_until(lambda m: 'return' in m or 'error' in m,
                                timeout)

    def wait_event(self, name, timeout, **data):
        """The first event ``name`` (with ``data``) not yet consumed."""
        def matches(message):
            return (message.get('event') == name and all(
                message.get('data', {}).get(k) == v for k, v in data.items()))
        for message in self.events:
            if matches(message) and not message.get('_seen'):
                message['_seen'] = True
                return message
        message = self._read_until(matches, timeout)
        if message is not None:
            message['_seen'] = True
        return message

    def drain(self):
        self._read_until(lambda m: False, 0.3)
        for message in self.events:
            message['_seen'] = True

    def close(self):
        self.sock.close()


class Guest:
    """One QEMU (TCG) guest booted from the test image."""

    def __init__(self, image_dir, work_dir, extra_cmdline=''):
        self.image_dir = pathlib.Path(image_dir)
        self.work = pathlib.Path(work_dir)
        self.work.mkdir(parents=True, exist_ok=True)
        manifest = json.loads((self.image_dir / 'manifest.json').read_text())
        self.cmdline = (manifest['kernel_cmdline'] + ' ' + extra_cmdline).strip()
        self.console = self.work / 'console.log'
        self.qga_path = self.work / 'qga.sock'
        self.qmp_path = self.work / 'qmp.sock'
        self.vfat = self.work / 'vfat.img'
        self.proc = None
        self.agent = None
        self.qmp = None
        self.boot_to_agent = None

    def start(self, qemu='qemu-system-x86_64'):
        subprocess.run(['mkfs.vfat', '-C', str(self.vfat), '4096'],
                       check=True, capture_output=True)
        argv = [
            qemu, '-accel', 'tcg', '-m', '512', '-smp', '1',
            '-nodefaults', '-no-user-config', '-display', 'none',
            '-kernel', str(self.image_dir / 'vmlinuz'),
            '-initrd', str(self.image_dir / 'initrd.img'),
            '-append', self.cmdline,
            # snapshot=on: the cached image is never written to.
            '-drive', 'file=%s,format=raw,if=virtio,snapshot=on'
            % (self.image_dir / 'rootfs.raw'),
            '-drive', 'file=%s,format=raw,if=virtio' % self.vfat,
            '-serial', 'file:%s' % self.console,
            '-chardev', 'socket,id=qga0,path=%s,server=on,wait=off'
            % self.qga_path,
            '-device', 'virtio-serial-pci',
            # An id, as libvirt gives one: QEMU only reports the port's
            # open/closed changes (VSERPORT_CHANGE) for devices with an id.
            '-device', 'virtserialport,chardev=qga0,id=channel0,'
                       'name=org.qemu.guest_agent.0',
            '-qmp', 'unix:%s,server=on,wait=off' % self.qmp_path,
        ]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL,
            stdout=open(self.work / 'qemu.log', 'wb'),
            stderr=subprocess.STDOUT)
        self.qmp = Qmp(self.qmp_path)
        self.agent = Agent(self.qga_path)

    def wait_for_agent(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('QEMU exited (%s): %s' % (
                    self.proc.returncode,
                    (self.work / 'qemu.log').read_text()[-2000:]))
            try:
                self.agent.sync(timeout=min(10, deadline - time.monotonic()))
                self.boot_to_agent = time.monotonic() - self.started
                return self.boot_to_agent
            except AgentTimeout:
                if time.monotonic() >= deadline:
                    raise AgentTimeout(
                        'agent not answering %ds after boot; console tail:\n%s'
                        % (timeout, self.console_text()[-3000:]))

    def console_text(self):
        try:
            return self.console.read_bytes().decode('utf-8', 'replace')
        except FileNotFoundError:
            return ''

    def probe_lines(self, after=0):
        """Probe lines in the console after character offset ``after``."""
        return [line for line in self.console_text()[after:].splitlines()
                if re.search(r'CONSISTENCY-PROBE v[12] ', line)]

    def wait_console(self, predicate, timeout):
        """Poll the console until predicate(text) is true; the text or None."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.console_text()
            if predicate(text):
                return text
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)

    def stop(self):
        if self.agent:
            self.agent.close()
        if self.proc and self.proc.poll() is None:
            try:
                self.qmp.command('quit', timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.qmp:
            self.qmp.close()


def fields(line):
    body = re.split(r'CONSISTENCY-PROBE v[12] ', line, 1)[1].strip()
    out = dict(item.split('=', 1) for item in body.split(' ') if '=' in item)
    # The kernel's timestamp of the message, to compare with its clocks.
    stamp = re.match(r'\[\s*([0-9.]+)\] ', line)
    if stamp:
        out['_kmsg'] = stamp.group(1)
    return out


def require_qemu():
    """The QEMU binary, or skip (only when CI did not ask for these tests)."""
    import shutil

    import pytest
    qemu = shutil.which('qemu-system-x86_64')
    if qemu:
        return qemu
    if os.environ.get('CONSISTENCY_REQUIRE_QGA'):
        pytest.fail('CONSISTENCY_REQUIRE_QGA is set but qemu-system-x86_64 '
                    'is missing (tools/guest-image/install-deps.sh)')
    pytest.skip('qemu-system-x86_64 is not installed (run '
                'tools/guest-image/install-deps.sh; set '
                'CONSISTENCY_REQUIRE_QGA=1 to make this an error)')
