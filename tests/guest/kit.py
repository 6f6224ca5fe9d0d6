"""Helpers to run the guest kit's hooks on the host: a fake kernel log file,
a fake state directory, a fixed or real clock, and a PATH holding only basic
tools plus the fake clients a test puts in ``bin``."""

import os
import pathlib
import re
import shutil
import subprocess

from consistency_dashboard import guest

BASIC_TOOLS = ('sh', 'cat', 'cp', 'date', 'grep', 'id', 'kill', 'mkdir',
               'mkfifo', 'mv', 'rm', 'runuser', 'sleep', 'timeout', 'env',
               'awk', 'chmod', 'stat', 'setsid', 'dd', 'nice')

LINE = re.compile(r'CONSISTENCY-PROBE v[12] (.*)$')


def fields(line):
    body = LINE.search(line).group(1)
    return dict(item.split('=', 1) for item in body.split(' '))


class Guest:
    """A fake guest: state dir, kmsg file, tools dir, fake clients."""

    def __init__(self, tmp_path, real_clock=False):
        self.root = pathlib.Path(tmp_path)
        self.root.mkdir(parents=True, exist_ok=True)
        self.state = self.root / 'run' / 'consistency-probe'
        self.kmsg = self.root / 'kmsg'
        self.kmsg.write_text('')
        self.bin = self.root / 'bin'
        self.bin.mkdir()
        self.tools = self.root / 'tools'
        self.tools.mkdir()
        for tool in BASIC_TOOLS:
            found = shutil.which(tool)
            if found:
                (self.tools / tool).symlink_to(found)
        # The watcher writes on the filesystems of this table, never on the
        # host's own: empty unless a test lists mounts (add_mount).
        self.mounts = self.root / 'mounts'
        self.mounts.write_text('')
        self.uptime = self.root / 'uptime'
        self.set_uptime('123.45')
        self.real_clock = real_clock
        self.log = self.root / 'fake.log'
        self.env = {
            'PATH': '%s:%s' % (self.bin, self.tools),
            'CONSISTENCY_PROBE_CONFIG': str(self.root / 'no-config'),
            'CONSISTENCY_PROBE_STATE_DIR': str(self.state),
            'CONSISTENCY_PROBE_KMSG': str(self.kmsg),
            'CONSISTENCY_PROBE_UPTIME': (
                '/proc/uptime' if real_clock else str(self.uptime)),
            'CONSISTENCY_PROBE_CMDLINE': str(self.root / 'cmdline'),
            'CONSISTENCY_PROBE_MOUNTS': str(self.mounts),
            # A FIFO waiting for its reader stands for a frozen filesystem.
            'CONSISTENCY_PROBE_FREEZE_WCHAN':
                'percpu_rwsem_wait|wait_for_partner',
            'FAKE_LOG': str(self.log),
        }
        self.scripts = {}
        for script in guest.list_scripts(include_test=True):
            path = self.root / 'hooks' / script.filename
            path.parent.mkdir(exist_ok=True)
            path.write_text(guest.read_script(script.name))
            path.chmod(0o755)
            self.scripts[script.name] = path

    def add_mount(self, path, fstype='ext4', options='rw,relatime',
                  source=None):
        """List ``path`` in the watcher's mount table (octal escapes as the
        kernel writes them: a space is \\040)."""
        escaped = (str(path).replace('\\', '\\134').replace(' ', '\\040')
                   .replace('\t', '\\011').replace('\n', '\\012'))
        with open(self.mounts, 'a') as table:
            table.write('%s %s %s %s 0 0\n' % (
                source or '/dev/fake%d' % len(self.mounts.read_text()),
                escaped, fstype, options))

    @property
    def agent_state(self):
        return self.root / 'agent-frozen'

    def set_uptime(self, value):
        self.uptime.write_text('%s 10.00\n' % value)

    def fake(self, name, text):
        path = self.bin / name
        path.write_text(text)
        path.chmod(0o755)
        return path

    def _env(self, env):
        full_env = dict(self.env)
        full_env.update({k: str(v) for k, v in env.items()})
        return full_env

    def run(self, name, phase, timeout=30, **env):
        return subprocess.run(
            [str(self.scripts[name]), phase], env=self._env(env),
            capture_output=True, text=True, timeout=timeout)

    def start(self, name, phase, **env):
        """The hook running (a Popen), for a test that acts while it runs."""
        return subprocess.Popen(
            [str(self.scripts[name]), phase], env=self._env(env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def lines(self):
        return [line for line in self.kmsg.read_text().splitlines()
                if 'CONSISTENCY-PROBE' in line]

    def events(self, event=None):
        out = [fields(line) for line in self.lines()]
        if event:
            out = [f for f in out if f['event'] == event]
        return out

    def fake_log(self):
        return self.log.read_text().splitlines() if self.log.exists() else []


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is as good as gone: it holds no session.
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().split(') ')[1][0] != 'Z'
    except OSError:
        return False
