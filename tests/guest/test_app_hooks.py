"""The PostgreSQL and MySQL hooks with fake clients on PATH that record what
they were asked; timing-sensitive cases run on the real monotonic clock."""

import re
import time

import pytest

from tests.guest.kit import Guest, pid_alive

FAKE_PSQL = r'''#!/bin/sh
echo "psql $*" >> "$FAKE_LOG"
[ -n "${FAKE_PSQL_SLEEP:-}" ] && exec sleep "$FAKE_PSQL_SLEEP"
[ "${FAKE_PSQL_RC:-0}" = 0 ] || echo "psql: error: boom" >&2
exit "${FAKE_PSQL_RC:-0}"
'''
FAKE_PG_ISREADY = r'''#!/bin/sh
echo "pg_isready $*" >> "$FAKE_LOG"
exit "${FAKE_PG_READY:-0}"
'''

# A mysql client: "-e" is the hook's connection check; otherwise a session
# reading statements from stdin, answering the hook's marker SELECTs.
FAKE_MYSQL = r'''#!/bin/sh
echo "ARGS $*" >> "$FAKE_LOG"
case " $* " in
*" -e "*)
    case ${FAKE_MYSQL_MODE:-ok} in
    down) echo "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)" >&2; exit 1 ;;
    denied) echo "ERROR 1045 (28000): Access denied for user 'root'@'localhost'" >&2; exit 1 ;;
    esac
    echo 1
    exit 0 ;;
esac
echo "SESSION-START $$" >> "$FAKE_LOG"
while IFS= read -r line; do
    echo "SQL $line" >> "$FAKE_LOG"
    case $line in
    "FLUSH TABLES WITH READ LOCK;")
        if [ "${FAKE_MYSQL_MODE:-ok}" = blocked ]; then exec sleep 60; fi
        if [ "${FAKE_MYSQL_MODE:-ok}" = error ]; then
            echo "ERROR 1105 (HY000) at line 2: Unknown error" >&2; exit 1
        fi ;;
    "SELECT 'consistency-locked';") echo consistency-locked ;;
    "SELECT 'consistency-unlocked';") echo consistency-unlocked ;;
    esac
done
echo "SESSION-END $$" >> "$FAKE_LOG"
'''


def app_line(g, app, phase):
    return [e for e in g.events('app')
            if e['app'] == app and e['phase'] == phase]


# PostgreSQL ---------------------------------------------------------------

@pytest.fixture
def pg(tmp_path):
    g = Guest(tmp_path)
    g.fake('psql', FAKE_PSQL)
    g.fake('pg_isready', FAKE_PG_ISREADY)
    g.env['CONSISTENCY_PG_USER'] = ''
    return g


def test_postgresql_checkpoint_before_freeze(pg):
    result = pg.run('postgresql', 'freeze',
                    CONSISTENCY_PG_ARGS='-h /run/postgresql -p 5433')
    assert result.returncode == 0, result.stderr
    assert pg.fake_log() == [
        'pg_isready -q -t 5 -h /run/postgresql -p 5433',
        'psql -X -q -v ON_ERROR_STOP=1 -c CHECKPOINT -h /run/postgresql -p 5433']
    pg.run('probe', 'freeze')
    assert pg.run('postgresql', 'thaw').returncode == 0
    pg.run('probe', 'thaw')
    assert pg.lines() == [
        'CONSISTENCY-PROBE v1 event=app seq=1 app=postgresql phase=freeze '
        'result=ok rc=0 mono=123.45',
        pg.lines()[1],
        'CONSISTENCY-PROBE v1 event=app seq=1 app=postgresql phase=thaw '
        'result=ok rc=0 mono=123.45',
        pg.lines()[3]]
    assert pg.events('freeze')[0]['apps'] == 'postgresql:ok'
    assert pg.events('thaw')[0]['apps'] == 'postgresql:ok'
    # Nothing is run on thaw: there is nothing to release.
    assert len(pg.fake_log()) == 2


def test_postgresql_checkpoint_failure_is_reported_and_fails_the_hook(pg):
    result = pg.run('postgresql', 'freeze', FAKE_PSQL_RC=2)
    assert result.returncode == 1
    pg.run('probe', 'freeze')
    assert app_line(pg, 'postgresql', 'freeze')[0]['result'] == 'fail'
    assert app_line(pg, 'postgresql', 'freeze')[0]['rc'] == '2'
    assert pg.events('freeze')[0]['apps'] == 'postgresql:fail'


def test_postgresql_not_running_is_skipped_without_psql(pg):
    result = pg.run('postgresql', 'freeze', FAKE_PG_READY=2)
    assert result.returncode == 0
    assert [line.split()[0] for line in pg.fake_log()] == ['pg_isready']
    pg.run('probe', 'freeze')
    pg.run('postgresql', 'thaw')
    pg.run('probe', 'thaw')
    assert pg.events('freeze')[0]['apps'] == 'postgresql:skipped'
    assert pg.events('thaw')[0]['apps'] == 'postgresql:skipped'


def test_postgresql_rejecting_connections_is_a_failure(pg):
    assert pg.run('postgresql', 'freeze', FAKE_PG_READY=1).returncode == 1
    assert app_line(pg, 'postgresql', 'freeze')[0]['result'] == 'fail'
    assert not any(line.startswith('psql') for line in pg.fake_log())


def test_postgresql_not_installed_is_skipped(tmp_path):
    g = Guest(tmp_path)
    assert g.run('postgresql', 'freeze').returncode == 0
    assert app_line(g, 'postgresql', 'freeze')[0]['result'] == 'skipped'


def test_postgresql_hung_checkpoint_is_bounded(tmp_path):
    g = Guest(tmp_path, real_clock=True)
    g.fake('psql', FAKE_PSQL)
    start = time.monotonic()
    result = g.run('postgresql', 'freeze', CONSISTENCY_PG_USER='',
                   CONSISTENCY_PG_TIMEOUT=1, FAKE_PSQL_SLEEP=30)
    assert time.monotonic() - start < 10
    assert result.returncode == 1
    assert app_line(g, 'postgresql', 'freeze')[0]['rc'] == '124'


# MySQL / MariaDB ----------------------------------------------------------

@pytest.fixture
def my(tmp_path):
    g = Guest(tmp_path, real_clock=True)
    g.fake('mysql', FAKE_MYSQL)
    yield g
    # Never leave a fake session behind, whatever the test did.
    for line in g.fake_log():
        if line.startswith('SESSION-START'):
            pid = int(line.split()[1])
            if pid_alive(pid):
                import os
                import signal
                os.kill(pid, signal.SIGKILL)


def sessions(g):
    return [int(line.split()[1]) for line in g.fake_log()
            if line.startswith('SESSION-START')]


def sql(g):
    return [line[4:] for line in g.fake_log() if line.startswith('SQL ')]


def wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_mysql_lock_is_held_across_the_freeze_and_released_on_thaw(my):
    result = my.run('mysql', 'freeze',
                    CONSISTENCY_MYSQL_ARGS='--defaults-extra-file=/etc/x.cnf')
    assert result.returncode == 0, result.stderr
    # The hook returned, the session that holds the lock is still open.
    [session] = sessions(my)
    assert pid_alive(session)
    assert sql(my) == ["SET SESSION lock_wait_timeout=10;",
                       "FLUSH TABLES WITH READ LOCK;",
                       "SELECT 'consistency-locked';"]
    args = [line for line in my.fake_log() if line.startswith('ARGS')]
    assert args == [
        'ARGS --defaults-extra-file=/etc/x.cnf --batch --skip-column-names '
        '-e SELECT 1',
        'ARGS --defaults-extra-file=/etc/x.cnf --batch --skip-column-names '
        '--unbuffered']
    my.run('probe', 'freeze')
    assert my.run('mysql', 'thaw').returncode == 0
    my.run('probe', 'thaw')
    assert sql(my)[3:] == ["UNLOCK TABLES;", "SELECT 'consistency-unlocked';"]
    assert 'SESSION-END %d' % session in my.fake_log()
    assert wait_until(lambda: not pid_alive(session), 5)
    assert [(e['event'], e.get('result'), e.get('apps'), e['seq'])
            for e in my.events()] == [
        ('app', 'ok', None, '1'), ('freeze', None, 'mysql:ok', '1'),
        ('app', 'ok', None, '1'), ('thaw', None, 'mysql:ok', '1')]
    assert not (my.state / 'mysql').exists()


def test_mysql_not_running_is_skipped(my):
    assert my.run('mysql', 'freeze', FAKE_MYSQL_MODE='down').returncode == 0
    assert sessions(my) == []
    my.run('probe', 'freeze')
    my.run('mysql', 'thaw')
    my.run('probe', 'thaw')
    assert [e.get('apps') for e in my.events()
            if e['event'] in ('freeze', 'thaw')] == ['mysql:skipped',
                                                     'mysql:skipped']


def test_mysql_not_installed_is_skipped(tmp_path):
    g = Guest(tmp_path)
    assert g.run('mysql', 'freeze').returncode == 0
    assert app_line(g, 'mysql', 'freeze')[0]['detail'] == 'not-installed'


def test_mysql_access_denied_is_a_failure(my):
    assert my.run('mysql', 'freeze', FAKE_MYSQL_MODE='denied').returncode == 1
    assert sessions(my) == []
    line = app_line(my, 'mysql', 'freeze')[0]
    assert (line['result'], line['detail']) == ('fail', 'cannot-connect')


def test_mysql_lock_not_granted_in_time_fails_and_closes_the_session(my):
    start = time.monotonic()
    result = my.run('mysql', 'freeze', FAKE_MYSQL_MODE='blocked',
                    CONSISTENCY_MYSQL_LOCK_TIMEOUT=2)
    took = time.monotonic() - start
    assert result.returncode == 1
    assert 1.5 < took < 15
    [session] = sessions(my)
    assert wait_until(lambda: not pid_alive(session), 5)
    assert app_line(my, 'mysql', 'freeze')[0]['detail'] == 'no-lock'
    # The thaw that follows finds nothing held.
    assert my.run('mysql', 'thaw').returncode == 0
    assert app_line(my, 'mysql', 'thaw')[0]['detail'] == 'nothing-held'


def test_mysql_lock_error_fails_at_once(my):
    start = time.monotonic()
    result = my.run('mysql', 'freeze', FAKE_MYSQL_MODE='error')
    assert result.returncode == 1
    assert time.monotonic() - start < 8
    assert app_line(my, 'mysql', 'freeze')[0]['detail'] == 'error'
    assert 'ERROR 1105' in (my.state / 'mysql.err').read_text()


def test_mysql_guard_releases_the_lock_when_no_thaw_comes(my):
    assert my.run('mysql', 'freeze', CONSISTENCY_GUARD_TIMEOUT=2).returncode == 0
    my.run('probe', 'freeze')
    [session] = sessions(my)
    assert wait_until(lambda: my.events('guard'), 10)
    assert wait_until(lambda: not pid_alive(session), 5)
    [guard] = my.events('guard')
    assert guard['seq'] == '1'
    assert guard['apps'] == 'mysql:released'
    assert re.fullmatch(r'\d+\.\d\d', guard['mono'])
    # The guard closed the session without UNLOCK: closing it releases.
    assert 'UNLOCK TABLES;' not in sql(my)
    # A late thaw tells the truth: the lock was not held until the thaw.
    assert my.run('mysql', 'thaw').returncode == 0
    my.run('probe', 'thaw')
    assert app_line(my, 'mysql', 'thaw')[0]['result'] == 'released'
    assert my.events('thaw')[0]['apps'] == 'mysql:released'
    assert float(guard['mono']) - float(my.events('freeze')[0]['mono']) >= 1.5


def test_mysql_second_freeze_without_thaw_closes_the_first_session(my):
    my.run('mysql', 'freeze')
    my.run('probe', 'freeze')
    my.run('mysql', 'freeze')
    my.run('probe', 'freeze')
    first, second = sessions(my)
    assert wait_until(lambda: not pid_alive(first), 5)
    assert pid_alive(second)
    assert [e['seq'] for e in app_line(my, 'mysql', 'freeze')] == ['1', '2']
    my.run('mysql', 'thaw')
    assert wait_until(lambda: not pid_alive(second), 5)
