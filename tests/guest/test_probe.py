"""The probe hook, run on the host with a fake kernel log and state dir."""

import re

from tests.guest.kit import Guest

WALL = re.compile(r'^\d{9,}\.\d{2}$')


def test_freeze_then_thaw_writes_the_v2_lines_with_one_seq(tmp_path):
    # No filesystem to watch: the thaw line says nothing was held.
    g = Guest(tmp_path)
    assert g.run('probe', 'freeze').returncode == 0
    g.set_uptime('124.16')
    assert g.run('probe', 'thaw').returncode == 0
    lines = g.lines()
    assert len(lines) == 2
    assert re.fullmatch(
        r'CONSISTENCY-PROBE v2 event=freeze seq=1 mono=123\.45 '
        r'wall=\d+\.\d\d apps=- ready=0/0 waited=0\.00', lines[0])
    assert re.fullmatch(
        r'CONSISTENCY-PROBE v2 event=thaw seq=1 mono=124\.16 '
        r'wall=\d+\.\d\d logged=124\.16 apps=- held=- free=- stuck=-',
        lines[1])
    assert WALL.match(g.events()[0]['wall'])


def test_seq_counts_freezes_and_lives_in_the_state_dir(tmp_path):
    g = Guest(tmp_path)
    for _ in range(3):
        g.run('probe', 'freeze')
        g.run('probe', 'thaw')
    assert [(e['event'], e['seq']) for e in g.events()] == [
        ('freeze', '1'), ('thaw', '1'), ('freeze', '2'), ('thaw', '2'),
        ('freeze', '3'), ('thaw', '3')]
    assert (g.state / 'seq').read_text() == '3\n'
    # A reboot empties /run: the count starts again at 1.
    fresh = Guest(tmp_path / 'rebooted')
    fresh.run('probe', 'freeze')
    assert fresh.events()[0]['seq'] == '1'


def test_a_garbled_seq_file_restarts_the_count(tmp_path):
    g = Guest(tmp_path)
    g.state.mkdir(parents=True)
    (g.state / 'seq').write_text('x7\n')
    g.run('probe', 'freeze')
    assert g.events()[0]['seq'] == '1'


def test_thaw_without_a_pending_freeze_writes_nothing(tmp_path):
    # The agent runs the thaw hook on every guest-fsfreeze-thaw, frozen or not.
    g = Guest(tmp_path)
    result = g.run('probe', 'thaw')
    assert result.returncode == 0
    assert g.lines() == []
    g.run('probe', 'freeze')
    g.run('probe', 'thaw')
    g.run('probe', 'thaw')
    assert [e['event'] for e in g.events()] == ['freeze', 'thaw']


def test_app_results_of_the_phase_in_name_order_then_cleared(tmp_path):
    g = Guest(tmp_path)
    for phase, results in (('freeze', {'postgresql': 'ok', 'mysql': 'fail'}),
                           ('thaw', {'mysql': 'ok', 'postgresql': 'ok'})):
        d = g.state / 'results' / phase
        d.mkdir(parents=True, exist_ok=True)
        for app, result in results.items():
            (d / app).write_text(result + '\n')
        g.run('probe', phase)
    freeze, thaw = g.events()
    assert freeze['apps'] == 'mysql:fail,postgresql:ok'
    assert thaw['apps'] == 'mysql:ok,postgresql:ok'
    assert list((g.state / 'results' / 'freeze').iterdir()) == []
    assert list((g.state / 'results' / 'thaw').iterdir()) == []
    # Next cycle without app hooks: nothing stale is reported.
    g.run('probe', 'freeze')
    assert g.events()[-1]['apps'] == '-'


def test_stale_thaw_results_are_not_reported_by_the_next_freeze(tmp_path):
    g = Guest(tmp_path)
    d = g.state / 'results' / 'thaw'
    d.mkdir(parents=True)
    (d / 'mysql').write_text('ok\n')
    g.run('probe', 'freeze')
    g.run('probe', 'thaw')
    assert [e['apps'] for e in g.events()] == ['-', '-']


def test_an_unwritable_log_never_fails_the_freeze(tmp_path):
    g = Guest(tmp_path)
    result = g.run('probe', 'freeze',
                   CONSISTENCY_PROBE_KMSG=tmp_path / 'missing' / 'kmsg')
    assert result.returncode == 0
    assert 'cannot write' in result.stderr


def test_an_unusable_state_dir_never_fails_the_freeze(tmp_path):
    g = Guest(tmp_path)
    blocker = tmp_path / 'file'
    blocker.write_text('')
    result = g.run('probe', 'freeze',
                   CONSISTENCY_PROBE_STATE_DIR=blocker / 'state')
    assert result.returncode == 0
    assert g.lines() == []


def test_unknown_argument_does_nothing(tmp_path):
    g = Guest(tmp_path)
    result = g.run('probe', 'bogus')
    assert result.returncode == 0
    assert 'usage' in result.stderr
    assert g.lines() == []


def test_config_file_is_read(tmp_path):
    g = Guest(tmp_path)
    config = tmp_path / 'config'
    other = tmp_path / 'other-kmsg'
    config.write_text("CONSISTENCY_PROBE_KMSG='%s'\n" % other)
    g.run('probe', 'freeze', CONSISTENCY_PROBE_CONFIG=config)
    assert g.lines() == []
    assert 'event=freeze seq=1' in other.read_text()


def test_testapp_reports_what_it_is_told(tmp_path):
    g = Guest(tmp_path)
    (tmp_path / 'cmdline').write_text(
        'console=ttyS0 root=/dev/vda consistency.testapp=ok quiet\n')
    assert g.run('testapp', 'freeze').returncode == 0
    g.run('probe', 'freeze')
    (g.state / 'testapp.mode').write_text('fail\n')  # the file wins
    assert g.run('testapp', 'thaw').returncode == 1
    g.run('probe', 'thaw')
    assert [(e['event'], e.get('app'), e.get('result'), e.get('apps'))
            for e in g.events()] == [
        ('app', 'testapp', 'ok', None),
        ('freeze', None, None, 'testapp:ok'),
        ('app', 'testapp', 'fail', None),
        ('thaw', None, None, 'testapp:fail')]
    # The app lines carry the seq of the freeze they belong to.
    assert {e['seq'] for e in g.events()} == {'1'}


def test_testapp_off_by_default_reports_nothing(tmp_path):
    g = Guest(tmp_path)
    assert g.run('testapp', 'freeze').returncode == 0
    g.run('probe', 'freeze')
    assert g.events()[0]['apps'] == '-'
    assert len(g.lines()) == 1
