"""The probe's watcher, run on the host: a write that the filesystem holds
is reported with how long it was held; a write that is not held (the
filesystem was not frozen) is reported as free, never as held.  The freeze
hook returns (the agent freezes) only once the watcher wrote on every
filesystem, and never waits longer than its bound.

A write is held here in two ways: by a FIFO standing in for the watcher's
file (opening it for writing blocks until a reader comes, in the wait
channel wait_for_partner, which these tests accept as the freeze lock's:
any machine), and by a real ext4 on a loop device frozen with fsfreeze
(percpu_rwsem_wait; root and loop devices only)."""

import os
import shutil
import subprocess
import threading
import time

import pytest

from tests.guest.kit import Guest

PROBE_DIR = '.consistency-probe'


def watched_fs(root, name='fs'):
    """A directory standing for a mounted filesystem, with the watcher's
    directory already made (root-owned, 0700) as the freeze hook makes it."""
    mount = root / name
    (mount / PROBE_DIR).mkdir(parents=True)
    (mount / PROBE_DIR).chmod(0o700)
    return mount


def hold_with_fifo(mount):
    """Make the watcher's next write block until release() is called: its
    file is replaced by a FIFO (a rename: the watcher opens it by name for
    every write, a write in flight finishes on the old file)."""
    fifo = mount / PROBE_DIR / 'held'
    fresh = fifo.with_name('held.new')
    os.mkfifo(fresh, 0o600)
    os.replace(fresh, fifo)

    def release(timeout=30):
        # Renamed first: the blocked writer already holds the FIFO's inode,
        # and the watcher's later fsync opens a new regular file by name.
        parked = fifo.with_name('held.fifo')
        os.rename(fifo, parked)
        reader = os.open(parked, os.O_RDONLY | os.O_NONBLOCK)
        deadline = time.monotonic() + timeout
        try:
            data = b''
            while not data.endswith(b'\n') and time.monotonic() < deadline:
                try:
                    data += os.read(reader, 100)
                except BlockingIOError:
                    pass
                time.sleep(0.01)
        finally:
            os.close(reader)
            parked.unlink()
    return release


def wait_blocked(g, timeout=30, count=1):
    """Until ``count`` watcher processes wait for a reader of their FIFO."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        blocked = 0
        for pid in watcher_pids(g):
            try:
                with open('/proc/%d/wchan' % pid) as f:
                    if f.read() in ('wait_for_partner', 'fifo_open'):
                        blocked += 1
            except OSError:
                pass
        if blocked >= count:
            return True
        time.sleep(0.02)
    return False


def wait_watch_file(g, name, timeout=30):
    """Until the watcher made ``name`` in its directory."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(g.state.glob('watch/*/' + name)):
            return True
        time.sleep(0.01)
    return False


def wait_seen(g, index=1):
    """Until the watcher of the ``index``-th watched filesystem (in the
    order of add_mount) saw its write held: that write began before."""
    return wait_watch_file(g, '%d.seen' % index)


def wait_stamped(g, index=1):
    """Until the watcher of the ``index``-th watched filesystem has its
    result: a released write's end is stamped, read from the clock before
    the result is written."""
    return wait_watch_file(g, '%d.result' % index)


def watcher_pids(g):
    out = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                argv = f.read().split(b'\0')
            with open('/proc/%s/environ' % pid, 'rb') as f:
                environ = f.read()
        except OSError:
            continue
        if b'watch' in argv and str(g.state).encode() in environ:
            out.append(int(pid))
    return out


def wait_looking_again(hook, timeout=30):
    """Until the freeze hook ``hook`` (a Popen) pauses between two looks at
    the watcher (a child ``sleep 0.05``): its wait has begun, its clock
    read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and hook.poll() is None:
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % pid) as f:
                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])
                with open('/proc/%s/cmdline' % pid, 'rb') as f:
                    argv = f.read().split(b'\0')[:2]
            except (OSError, IndexError, ValueError):
                continue
            if ppid == hook.pid and argv == [b'sleep', b'0.05']:
                return True
        time.sleep(0.01)
    return False


def wait_gone(g, timeout=30):
    deadline = time.monotonic() + timeout
    while watcher_pids(g) and time.monotonic() < deadline:
        time.sleep(0.05)
    return watcher_pids(g)


def wait_written(*mounts, timeout=30):
    """Until the watcher wrote at least once on each mount."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all((m / PROBE_DIR / 'held').exists() for m in mounts):
            return True
        time.sleep(0.02)
    return False


def ready_of(g):
    """The freeze line's "ready" and "waited"."""
    freeze = g.events('freeze')[-1]
    return freeze['ready'], float(freeze['waited'])


def real_guest(tmp_path):
    g = Guest(tmp_path / 'guest', real_clock=True)
    return g


def agent_freeze(g, **env):
    """As qemu-ga does: the freeze hook, then its frozen-state file (then
    FIFREEZE, done by the caller where there is a real filesystem)."""
    result = g.run('probe', 'freeze', **env)
    g.agent_state.write_text('')
    return result


def agent_thaw(g, release=None, **env):
    """As qemu-ga does: FITHAW (``release``), the state file removed, then
    the thaw hook."""
    if release is not None:
        release()
    if g.agent_state.exists():
        g.agent_state.unlink()
    return g.run('probe', 'thaw', **env)


# The watcher writes without a pause while the freeze is awaited (for
# CONSISTENCY_PROBE_FAST_FOR seconds after the hook returned), then about
# every 0.1 s.
@pytest.mark.parametrize('fast_for', ['10', '0'])
def test_a_held_write_reports_how_long_it_was_held(tmp_path, fast_for):
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    start = time.monotonic()
    # (A generous wait for the watcher: a busy machine starts it slowly.)
    assert agent_freeze(g, CONSISTENCY_PROBE_FAST_FOR=fast_for,
                        CONSISTENCY_PROBE_READY_WAIT=60).returncode == 0
    # The hook returned once the watcher had written (then the agent
    # freezes: here the next write is made to block).
    assert ready_of(g)[0] == '1/1'
    assert (mount / PROBE_DIR / 'held').read_text().startswith('1 ')
    release = hold_with_fifo(mount)
    assert wait_blocked(g)
    blocked_at = time.monotonic()
    time.sleep(1.0)
    released_at = time.monotonic()
    assert agent_thaw(g, release).returncode == 0
    thawed_at = time.monotonic()
    freeze, thaw = g.events()
    assert thaw['held'].startswith('%s:' % mount)
    seconds = float(thaw['held'].split(':')[1])
    # Held from before the write blocked to its release (centiseconds),
    # stamped by the watcher once released: before the thaw hook returned
    # with its result, however late a busy machine ran the watcher.
    assert released_at - blocked_at - 0.02 < seconds
    assert seconds <= thawed_at - start + 0.01
    assert (thaw['free'], thaw['stuck']) == ('-', '-')
    # The thaw is stamped when the write was released, and never after the
    # line was logged.
    assert float(thaw['mono']) <= float(thaw['logged'])
    # Both clocks have two decimals: compare in centiseconds, not floats
    # (7173.48 - 7172.47 is 1.0099999... in binary).
    assert round((float(thaw['mono']) - float(freeze['mono'])) * 100) >= \
        round(seconds * 100)
    assert wait_gone(g) == []


def test_the_freeze_hook_returns_once_the_watcher_wrote(tmp_path):
    # The watcher's first write is slow (a FIFO whose wait channel is not
    # the freeze lock's: not a freeze).  The hook waits for it: the agent
    # freezes only a filesystem the watcher is already writing on, so a
    # freeze shorter than the watcher's start-up is not missed.
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    release = hold_with_fifo(mount)
    hook = g.start('probe', 'freeze', CONSISTENCY_PROBE_READY_WAIT=60,
                   CONSISTENCY_PROBE_FREEZE_WCHAN='percpu_rwsem_wait')
    try:
        # The write is held for a second from when the hook's wait began
        # (however long the hook took to start the watcher).
        assert wait_looking_again(hook)
        time.sleep(1.0)
        assert hook.poll() is None
    finally:
        release()
    hook.communicate(timeout=30)
    g.agent_state.write_text('')
    assert hook.returncode == 0
    ready, waited = ready_of(g)
    assert ready == '1/1'
    # Centiseconds of /proc/uptime, both ends truncated.
    assert waited >= 0.99
    agent_thaw(g)
    thaw = g.events('thaw')[0]
    assert (thaw['held'], thaw['free'], thaw['stuck']) == (
        '-', str(mount), '-')
    assert wait_gone(g) == []


# A watcher whose first write never ends: the hook gives up after
# CONSISTENCY_PROBE_READY_WAIT seconds by the clock, or after as many
# 0.05 s looks when the clock does not move; a setting that is not a
# number means the default, 3 s.
@pytest.mark.parametrize('real_clock,setting,bound', [
    (True, '1', 1.0), (False, '1', 1.0), (True, 'soon', 3.0)])
def test_the_wait_is_bounded_when_a_watcher_never_writes(
        tmp_path, real_clock, setting, bound):
    g = Guest(tmp_path / 'guest', real_clock=real_clock)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    release = hold_with_fifo(mount)
    try:
        start = time.monotonic()
        result = agent_freeze(
            g, CONSISTENCY_PROBE_READY_WAIT=setting,
            CONSISTENCY_PROBE_FREEZE_WCHAN='percpu_rwsem_wait')
        returned = time.monotonic() - start
        assert result.returncode == 0, result.stderr
        assert bound <= returned < bound + 30
        ready, waited = ready_of(g)
        assert ready == '0/1'
        if real_clock:
            assert waited >= bound
    finally:
        release()
    agent_thaw(g)
    assert g.events('thaw')[0]['held'] == '-'
    assert wait_gone(g) == []


def test_no_wait_when_the_watcher_is_off(tmp_path):
    # Nothing watches: nothing to wait for, whatever the bound.
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    start = time.monotonic()
    g.run('probe', 'freeze', CONSISTENCY_PROBE_WATCH=0,
          CONSISTENCY_PROBE_READY_WAIT=60)
    assert time.monotonic() - start < 30
    assert ready_of(g) == ('0/0', 0.0)
    assert watcher_pids(g) == []
    assert not (mount / PROBE_DIR / 'held').exists()


def test_no_wait_when_the_wait_is_zero(tmp_path):
    g = real_guest(tmp_path)
    # Every pause logged with the pid of the shell that paused.
    g.fake('sleep', '#!/bin/sh\necho "SLEEP $PPID $*" >>"$FAKE_LOG"\n'
           'exec %s "$@"\n' % shutil.which('sleep'))
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    release = hold_with_fifo(mount)
    try:
        hook = g.start('probe', 'freeze', CONSISTENCY_PROBE_READY_WAIT=0,
                       CONSISTENCY_PROBE_FREEZE_WCHAN='percpu_rwsem_wait')
        hook.communicate(timeout=30)
        g.agent_state.write_text('')
        ready, waited = ready_of(g)
        assert ready == '0/1'
        # It looked once and never paused (its "waited" is the time of
        # that look: on a busy machine a centisecond or two).
        assert not [line for line in g.fake_log()
                    if line.startswith('SLEEP %d ' % hook.pid)]
        assert waited < 1
        assert wait_blocked(g)
    finally:
        release()
    agent_thaw(g)
    assert wait_gone(g) == []


def test_a_write_that_is_not_held_gives_no_held_time(tmp_path):
    # A filesystem the agent skips (vfat) or a freeze that failed: the
    # watcher's writes go through, and the mount is listed as free.
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path, 'vfat')
    g.add_mount(mount, fstype='vfat')
    agent_freeze(g, CONSISTENCY_PROBE_READY_WAIT=60)
    assert ready_of(g)[0] == '1/1'
    time.sleep(0.5)
    agent_thaw(g)
    thaw = g.events('thaw')[0]
    assert (thaw['held'], thaw['free'], thaw['stuck']) == (
        '-', str(mount), '-')
    assert (mount / PROBE_DIR / 'held').read_text().startswith('1 ')
    assert wait_gone(g) == []


def test_the_thaw_is_stamped_before_slow_application_thaw_hooks(tmp_path):
    # Application thaw hooks run before the probe's thaw hook: their time is
    # not freeze time.  The held write's release stamps the thaw.
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    start = time.monotonic()
    agent_freeze(g)
    release = hold_with_fifo(mount)
    assert wait_blocked(g)
    time.sleep(0.5)
    release()
    # The watcher stamped the release (a busy machine runs it late).
    assert wait_stamped(g)
    stamped_at = time.monotonic()
    g.agent_state.unlink()
    time.sleep(1.5)                      # a slow application thaw hook
    g.run('probe', 'thaw')
    freeze, thaw = g.events()
    frozen = float(thaw['mono']) - float(freeze['mono'])
    # Stamped at the release, not when the thaw line was written
    # (centiseconds, truncated).
    assert 0.4 < frozen <= stamped_at - start + 0.01
    assert float(thaw['logged']) - float(thaw['mono']) >= 1.49


def test_a_write_still_blocked_after_the_thaw_is_reported_stuck(tmp_path):
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    agent_freeze(g)
    release = hold_with_fifo(mount)
    try:
        assert wait_blocked(g)
        start = time.monotonic()
        agent_thaw(g, CONSISTENCY_PROBE_HELD_WAIT=1)
        took = time.monotonic() - start
        # Bounded: the thaw hook waited (20 looks 0.05 s apart), not for
        # ever; its looks are not timed, a busy machine stretches them (3 s
        # seen for this 1 s).
        assert 1.0 <= took < 20
        thaw = g.events('thaw')[0]
        assert (thaw['held'], thaw['free'], thaw['stuck']) == (
            '-', '-', str(mount))
    finally:
        release()
    assert wait_gone(g) == []


def test_mount_points_are_percent_encoded_and_pseudo_fs_skipped(tmp_path):
    g = real_guest(tmp_path)
    odd = watched_fs(tmp_path, 'my data,x:%=\u00e9')
    plain = watched_fs(tmp_path, 'plain')
    g.add_mount(odd, fstype='xfs')
    g.add_mount(plain, fstype='btrfs', source='/dev/vdc')
    # A bind mount of the same filesystem: watched once.
    g.add_mount(watched_fs(tmp_path, 'bind'), fstype='btrfs',
                source='/dev/vdc')
    for fstype, options in (('tmpfs', 'rw'), ('nfs4', 'rw'),
                            ('overlay', 'rw'), ('proc', 'rw'),
                            ('ext4', 'ro,relatime')):
        skipped = watched_fs(tmp_path, 'skip-' + fstype + options[:2])
        g.add_mount(skipped, fstype=fstype, options=options)
    g.run('probe', 'freeze')
    assert wait_written(odd, plain)
    g.run('probe', 'thaw')
    free = g.events('thaw')[0]['free'].split(',')
    encoded = str(tmp_path) + \
        '/my%20data%2Cx%3A%25%3D%C3%A9'
    assert sorted(free) == sorted([encoded, str(plain)])
    assert (odd / PROBE_DIR / 'held').exists()
    assert not (tmp_path / 'skip-tmpfsrw' / PROBE_DIR / 'held').exists()
    assert not (tmp_path / 'skip-ext4ro' / PROBE_DIR / 'held').exists()


def test_the_watcher_writes_only_in_a_private_directory(tmp_path):
    g = real_guest(tmp_path)
    new = tmp_path / 'new'
    new.mkdir()
    linked = tmp_path / 'linked'
    linked.mkdir()
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (linked / PROBE_DIR).symlink_to(elsewhere)
    loose = tmp_path / 'loose'
    (loose / PROBE_DIR).mkdir(parents=True)
    (loose / PROBE_DIR).chmod(0o757)
    # vfat shows every directory with the mount's dmask (0755 by default):
    # root's and not writable by others is enough.
    vfat = tmp_path / 'vfat'
    (vfat / PROBE_DIR).mkdir(parents=True)
    (vfat / PROBE_DIR).chmod(0o755)
    for mount in (new, linked, loose, vfat):
        g.add_mount(mount)
    g.run('probe', 'freeze')
    assert wait_written(new, vfat)
    g.run('probe', 'thaw')
    assert sorted(g.events('thaw')[0]['free'].split(',')) == [
        str(new), str(vfat)]
    assert (new / PROBE_DIR).stat().st_mode & 0o777 == 0o700
    assert list(elsewhere.iterdir()) == []
    assert list((loose / PROBE_DIR).iterdir()) == []
    assert g.state.stat().st_mode & 0o777 == 0o700


def test_the_watcher_is_detached_and_gone_after_the_thaw(tmp_path):
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    g.run('probe', 'freeze')
    release = hold_with_fifo(mount)
    try:
        deadline = time.monotonic() + 30
        while not watcher_pids(g) and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = watcher_pids(g)
        assert pids
        # Its own session: the agent's and the dispatcher's end with them.
        assert all(os.getsid(pid) != os.getsid(0) for pid in pids)
    finally:
        release()
    g.run('probe', 'thaw')
    assert wait_gone(g) == []


def test_a_slow_write_not_waiting_for_a_freeze_is_not_held(tmp_path):
    # A write slowed down by something else than a freeze (here a FIFO, on
    # a busy guest a journal commit or the CPU) is not held: only a write
    # the kernel shows waiting for the freeze lock is.
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount, fstype='vfat')
    agent_freeze(g, CONSISTENCY_PROBE_FREEZE_WCHAN='percpu_rwsem_wait')
    release = hold_with_fifo(mount)
    assert wait_blocked(g)
    time.sleep(0.5)
    agent_thaw(g, release)
    thaw = g.events('thaw')[0]
    assert (thaw['held'], thaw['free']) == ('-', str(mount))


def test_a_watcher_stopped_before_its_first_write_proves_nothing(tmp_path):
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    g.state.mkdir(parents=True)
    # The thaw came before the watcher wrote: its mount is neither held
    # nor free.
    g.run('probe', 'freeze', CONSISTENCY_PROBE_WATCH_MAX=0)
    wait_gone(g)
    result = g.state / 'watch' / '1' / '1.result'
    result.write_text('free 0\n')
    g.run('probe', 'thaw')
    thaw = g.events('thaw')[0]
    assert (thaw['held'], thaw['free'], thaw['stuck']) == ('-', '-', '-')


def test_watch_off_writes_nothing_on_the_filesystems(tmp_path):
    g = real_guest(tmp_path)
    mount = watched_fs(tmp_path)
    g.add_mount(mount)
    g.run('probe', 'freeze', CONSISTENCY_PROBE_WATCH=0)
    g.run('probe', 'thaw', CONSISTENCY_PROBE_WATCH=0)
    assert g.events('thaw')[0]['free'] == '-'
    assert not (mount / PROBE_DIR / 'held').exists()


def _can_freeze():
    return (os.geteuid() == 0 and shutil.which('fsfreeze')
            and shutil.which('mkfs.ext4') and os.path.exists(
                '/dev/loop-control'))


@pytest.fixture
def ext4(tmp_path):
    if not _can_freeze():
        pytest.skip('needs root, loop devices, mkfs.ext4 and fsfreeze')
    image = tmp_path / 'ext4.img'
    mount = tmp_path / 'ext4'
    mount.mkdir()
    with open(image, 'wb') as f:
        f.truncate(16 * 1024 * 1024)
    subprocess.run(['mkfs.ext4', '-q', str(image)], check=True)
    done = subprocess.run(['mount', '-o', 'loop', str(image), str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip('cannot loop-mount here: %s' % done.stderr.decode())
    try:
        yield mount
    finally:
        subprocess.run(['fsfreeze', '-u', str(mount)], capture_output=True)
        subprocess.run(['umount', str(mount)], check=True)


def test_a_real_frozen_ext4_holds_the_write_for_the_freeze(tmp_path, ext4):
    g = real_guest(tmp_path)
    g.add_mount(ext4)
    start = time.monotonic()
    agent_freeze(g, CONSISTENCY_PROBE_READY_WAIT=60)
    # As the agent does: FIFREEZE right after the hook returned.
    subprocess.run(['fsfreeze', '-f', str(ext4)], check=True)
    try:
        # The held write began before the watcher saw it held.
        assert wait_seen(g)
        seen_at = time.monotonic()
        time.sleep(1.2)
    finally:
        thawed_at = time.monotonic()
        subprocess.run(['fsfreeze', '-u', str(ext4)], check=True)
    assert wait_stamped(g)
    stamped_at = time.monotonic()
    agent_thaw(g)
    thaw = g.events('thaw')[0]
    mount, seconds = thaw['held'].split(':')
    assert mount == str(ext4)
    # From before it was seen held to after the thaw; stamped by the
    # watcher (started by the freeze hook) before its result was written
    # (centiseconds, truncated).
    assert thawed_at - seen_at - 0.02 < float(seconds) <= \
        stamped_at - start + 0.01
    assert wait_gone(g) == []


def test_a_real_ext4_not_frozen_is_free(tmp_path, ext4):
    g = real_guest(tmp_path)
    g.add_mount(ext4)
    agent_freeze(g)
    assert wait_written(ext4)
    time.sleep(1.0)
    agent_thaw(g)
    thaw = g.events('thaw')[0]
    assert (thaw['held'], thaw['free']) == ('-', str(ext4))
    # Gone before the fixture unmounts (its directory is on the mount).
    assert wait_gone(g) == []


def uptime():
    """The clock of the probe's lines in a real-clock guest."""
    with open('/proc/uptime') as f:
        return float(f.read().split()[0])


def test_threaded_release_does_not_leave_a_writer(tmp_path):
    # Two held filesystems released at different times: both reported,
    # the thaw stamped by the earlier release.
    g = real_guest(tmp_path)
    first = watched_fs(tmp_path, 'a')
    second = watched_fs(tmp_path, 'b')
    g.add_mount(first)
    g.add_mount(second)
    agent_freeze(g, CONSISTENCY_PROBE_READY_WAIT=60)
    assert ready_of(g)[0] == '2/2'
    # The second held first: its held write began before the first's.
    release_second = hold_with_fifo(second)
    assert wait_blocked(g)
    release_first = hold_with_fifo(first)
    assert wait_blocked(g, count=2)
    time.sleep(0.6)
    first_released = uptime()
    release_first()
    assert wait_stamped(g, 1)
    first_stamped = uptime()
    late = threading.Timer(0.4, release_second)
    late.start()
    late.join()
    agent_thaw(g)
    freeze, thaw = g.events()
    held = dict(item.split(':') for item in thaw['held'].split(','))
    assert set(held) == {str(first), str(second)}
    # Released 0.4 s or more after the first's release was stamped, and
    # held from before the first's began (centiseconds, truncated).
    assert float(held[str(second)]) > float(held[str(first)]) + 0.2
    # The thaw is the first release, before the second.
    assert first_released - 0.01 <= float(thaw['mono']) <= first_stamped
    assert wait_gone(g) == []
