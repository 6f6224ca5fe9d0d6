"""The database hooks against real Debian servers started here on a unix
socket in a temporary directory (mariadb-server, postgresql): the lock is
really held across the "freeze" (another session cannot write), released on
thaw and by the guard; the CHECKPOINT really happens. Skipped when the
servers are not installed (they are not needed for anything else)."""

import glob
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.guest.kit import Guest


def _wait(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError('timed out waiting for ' + what)


# MariaDB -------------------------------------------------------------------

@pytest.fixture(scope='module')
def mariadb(tmp_path_factory):
    server = shutil.which('mariadbd') or shutil.which('mysqld')
    install_db = shutil.which('mariadb-install-db')
    client = shutil.which('mariadb') or shutil.which('mysql')
    if not (server and install_db and client):
        pytest.skip('mariadb-server is not installed')
    d = tmp_path_factory.mktemp('mariadb')
    datadir, sock = d / 'data', d / 'mysqld.sock'
    subprocess.run([install_db, '--no-defaults', '--user=root',
                    '--datadir=%s' % datadir, '--skip-test-db',
                    '--auth-root-authentication-method=normal'],
                   check=True, capture_output=True, timeout=180)
    proc = subprocess.Popen(
        [server, '--no-defaults', '--user=root', '--datadir=%s' % datadir,
         '--socket=%s' % sock, '--skip-networking',
         '--pid-file=%s' % (d / 'pid'), '--log-error=%s' % (d / 'err.log'),
         '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = [client, '--no-defaults', '--socket=%s' % sock, '--user=root',
            '--batch', '--skip-column-names']

    def sql(statement, timeout=30):
        return subprocess.run(base + ['-e', statement], capture_output=True,
                              text=True, timeout=timeout)

    try:
        _wait(lambda: sql('SELECT 1').returncode == 0, 90, 'mariadbd')
        assert sql('CREATE DATABASE kit; CREATE TABLE kit.t (id INT) '
                   'ENGINE=InnoDB').returncode == 0
        yield {'client': client, 'sock': sock, 'sql': sql}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def my_guest(tmp_path, mariadb):
    g = Guest(tmp_path, real_clock=True)
    (g.bin / 'mysql').symlink_to(mariadb['client'])
    g.env['CONSISTENCY_MYSQL_ARGS'] = '--no-defaults --socket=%s --user=root' \
        % mariadb['sock']
    yield g
    # Whatever happened, leave no lock behind for the next test.
    g.run('mysql', 'thaw')


def _insert(mariadb):
    return mariadb['sql']('SET SESSION lock_wait_timeout=2; '
                          'INSERT INTO kit.t VALUES (1)')


def test_real_mariadb_lock_held_until_thaw(my_guest, mariadb):
    assert _insert(mariadb).returncode == 0
    result = my_guest.run('mysql', 'freeze')
    assert result.returncode == 0, result.stderr
    my_guest.run('probe', 'freeze')
    # The hook has returned; its session still holds the global read lock.
    blocked = _insert(mariadb)
    assert blocked.returncode != 0
    assert 'Lock wait timeout' in blocked.stderr
    assert my_guest.run('mysql', 'thaw').returncode == 0
    my_guest.run('probe', 'thaw')
    assert _insert(mariadb).returncode == 0
    assert [e['apps'] for e in my_guest.events()
            if e['event'] in ('freeze', 'thaw')] == ['mysql:ok', 'mysql:ok']


def test_real_mariadb_guard_releases_the_lock(my_guest, mariadb):
    assert my_guest.run('mysql', 'freeze',
                        CONSISTENCY_GUARD_TIMEOUT=3).returncode == 0
    my_guest.run('probe', 'freeze')
    assert _insert(mariadb).returncode != 0
    _wait(lambda: my_guest.events('guard'), 15, 'the guard line')
    assert my_guest.events('guard')[0]['apps'] == 'mysql:released'
    _wait(lambda: _insert(mariadb).returncode == 0, 10, 'the lock release')
    my_guest.run('mysql', 'thaw')
    my_guest.run('probe', 'thaw')
    assert my_guest.events('thaw')[0]['apps'] == 'mysql:released'


def test_real_mariadb_wrong_credentials_fail(my_guest, mariadb):
    result = my_guest.run(
        'mysql', 'freeze', CONSISTENCY_MYSQL_ARGS='--no-defaults --socket=%s '
        '--user=nobody --password=wrong' % mariadb['sock'])
    assert result.returncode == 1
    [line] = my_guest.events('app')
    assert (line['result'], line['detail']) == ('fail', 'cannot-connect')


def test_real_mariadb_down_is_skipped(my_guest, tmp_path):
    result = my_guest.run('mysql', 'freeze', CONSISTENCY_MYSQL_ARGS=(
        '--no-defaults --socket=%s --user=root' % (tmp_path / 'nope.sock')))
    assert result.returncode == 0
    assert my_guest.events('app')[0]['result'] == 'skipped'


# PostgreSQL ----------------------------------------------------------------

def _pg_bin():
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'))
    return pathlib.Path(found[-1]).parent if found else None


@pytest.fixture(scope='module')
def postgres():
    bindir = _pg_bin()
    if bindir is None or not shutil.which('runuser'):
        pytest.skip('postgresql is not installed')
    try:
        subprocess.run(['id', 'postgres'], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        pytest.skip('no postgres user')
    # Under /tmp, not pytest's root-only tmp dir: the server runs as postgres.
    d = pathlib.Path(tempfile.mkdtemp(prefix='kit-pg-', dir='/tmp'))
    shutil.chown(d, 'postgres', 'postgres')
    data = d / 'data'

    def as_pg(*argv, **kw):
        return subprocess.run(['runuser', '-u', 'postgres', '--', *argv],
                              capture_output=True, text=True, timeout=120,
                              **kw)
    try:
        assert as_pg(str(bindir / 'initdb'), '-D', str(data), '--auth=trust',
                     '-U', 'postgres').returncode == 0
        started = as_pg(str(bindir / 'pg_ctl'), '-D', str(data), '-w',
                        '-l', str(d / 'log'), '-o',
                        "-k %s -c listen_addresses='' -p 5499" % d, 'start')
        assert started.returncode == 0, started.stderr

        def sql(statement):
            out = as_pg(str(bindir / 'psql'), '-X', '-At', '-h', str(d),
                        '-p', '5499', '-c', statement)
            assert out.returncode == 0, out.stderr
            return out.stdout.strip()
        yield {'bindir': bindir, 'dir': d, 'sql': sql}
    finally:
        as_pg(str(bindir / 'pg_ctl'), '-D', str(data), '-m', 'fast', '-w',
              'stop')
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def pg_guest(postgres):
    if os.geteuid() != 0:
        pytest.skip('needs root to run psql as the postgres user')
    # The hook runs psql as postgres: the fake guest's bin must be reachable
    # by that user (pytest's tmp dirs are root-only).
    d = pathlib.Path(tempfile.mkdtemp(prefix='kit-pg-guest-', dir='/tmp'))
    d.chmod(0o755)
    g = Guest(d / 'guest')
    for path in (g.root, g.bin, g.tools):
        path.chmod(0o755)
    for tool in ('psql', 'pg_isready'):
        (g.bin / tool).symlink_to(postgres['bindir'] / tool)
    yield g
    shutil.rmtree(d, ignore_errors=True)


def test_real_postgresql_checkpoint_runs_as_postgres(pg_guest, postgres):
    g = pg_guest
    before = int(postgres['sql'](
        'SELECT checkpoints_req FROM pg_stat_bgwriter'))
    result = g.run('postgresql', 'freeze',
                   CONSISTENCY_PG_ARGS='-h %s -p 5499' % postgres['dir'])
    # Run as root, psql would connect as role "root", which does not exist:
    # success means the hook switched to the postgres user.
    assert result.returncode == 0, result.stderr
    after = int(postgres['sql']('SELECT checkpoints_req FROM pg_stat_bgwriter'))
    assert after == before + 1
    g.run('probe', 'freeze')
    assert g.events('freeze')[0]['apps'] == 'postgresql:ok'


def test_real_postgresql_down_is_skipped(pg_guest, postgres):
    g = pg_guest
    result = g.run('postgresql', 'freeze',
                   CONSISTENCY_PG_ARGS='-h %s -p 5498' % postgres['dir'])
    assert result.returncode == 0
    assert g.events('app')[0]['detail'] == 'not-running'
