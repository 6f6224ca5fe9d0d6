"""The guest package's API (for the Guest setup tab), shellcheck on every
script, and the cloud-init user-data parsed as YAML."""

import os
import pathlib
import shutil
import subprocess

import pytest
import yaml

from consistency_dashboard import guest
from consistency_dashboard.guest import cloud_init

REPO = pathlib.Path(__file__).resolve().parents[2]
SHELL_SCRIPTS = sorted(
    list((REPO / 'consistency_dashboard' / 'guest' / 'scripts').iterdir())
    + list((REPO / 'tools' / 'guest-image').glob('*.sh')))


def test_list_scripts_in_install_order_probe_last():
    names = [s.name for s in guest.list_scripts()]
    assert names == ['mysql', 'postgresql', 'probe']
    assert [s.filename for s in guest.list_scripts(include_test=True)][-1] \
        == '99-consistency-probe'
    assert 'testapp' in [s.name for s in guest.list_scripts(include_test=True)]


def test_read_script_by_name_or_filename():
    text = guest.read_script('probe')
    assert text.startswith('#!/bin/sh\n')
    assert 'CONSISTENCY-PROBE v2' in text
    assert guest.read_script('99-consistency-probe') == text
    with pytest.raises(KeyError):
        guest.read_script('../../etc/passwd')


def test_script_path_is_an_executable_file():
    with guest.script_path('mysql') as path:
        assert os.access(path, os.X_OK)
        assert pathlib.Path(path).read_text() == guest.read_script('mysql')


def test_install_paths_per_family():
    probe = guest.get_script('probe')
    assert probe.install_path('debian') == \
        '/etc/qemu/fsfreeze-hook.d/99-consistency-probe'
    assert probe.install_path('rhel') == \
        '/etc/qemu-ga/fsfreeze-hook.d/99-consistency-probe'


def test_every_script_is_sh_with_set_eu():
    for path in SHELL_SCRIPTS:
        text = path.read_text()
        assert text.splitlines()[0] in ('#!/bin/sh', '#!/bin/bash'), path
        if path.name != 'init.sh':  # PID 1 must not exit on an error
            assert '\nset -eu\n' in text, path
        assert text.isascii(), path


def test_shellcheck_passes_on_every_script():
    if not shutil.which('shellcheck'):
        if os.environ.get('CI') or os.environ.get('CONSISTENCY_REQUIRE_QGA'):
            pytest.fail('shellcheck is not installed '
                        '(tools/guest-image/install-deps.sh)')
        pytest.skip('shellcheck is not installed')
    result = subprocess.run(['shellcheck', *map(str, SHELL_SCRIPTS)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_windows_notes_match_the_docs():
    notes = guest.windows_notes()
    assert '10 seconds' in notes and 'VSS' in notes
    docs = (REPO / 'docs' / 'guest-kit.md').read_text()
    assert notes.strip() in docs


def _files(data):
    return {f['path']: f for f in data['write_files']}


def test_cloud_init_debian_installs_agent_hooks_and_config():
    text = guest.cloud_init_user_data('debian', apps=('postgresql', 'mysql'))
    assert text.startswith('#cloud-config\n')
    data = yaml.safe_load(text)
    assert data['packages'] == ['qemu-guest-agent']
    files = _files(data)
    hook_dir = '/etc/qemu/fsfreeze-hook.d/'
    for name in ('probe', 'postgresql', 'mysql'):
        script = guest.get_script(name)
        entry = files[hook_dir + script.filename]
        assert entry['content'] == guest.read_script(name)
        assert entry['permissions'] == '0755'
    assert files['/etc/qemu/qemu-ga.conf']['content'] == \
        '[general]\nfsfreeze-hook=/etc/qemu/fsfreeze-hook\n'
    assert 'kernel.printk_devkmsg = on' in \
        files['/etc/sysctl.d/60-consistency-probe.conf']['content']
    assert not any('testapp' in path for path in files)
    assert '/etc/default/consistency-probe' not in files
    commands = [' '.join(c) if isinstance(c, list) else c
                for c in data['runcmd']]
    assert any('systemctl restart qemu-guest-agent' in c for c in commands)
    assert not any('sysconfig' in c or 'setsebool' in c for c in commands)


def test_cloud_init_rhel_paths_sysconfig_and_selinux():
    data = yaml.safe_load(guest.cloud_init_user_data('rhel', apps=('mysql',)))
    files = _files(data)
    assert set(p for p in files if 'fsfreeze-hook.d' in p) == {
        '/etc/qemu-ga/fsfreeze-hook.d/10-consistency-mysql',
        '/etc/qemu-ga/fsfreeze-hook.d/99-consistency-probe'}
    assert '/etc/qemu/qemu-ga.conf' not in files
    commands = [' '.join(c) for c in data['runcmd']]
    hook_cmd = [c for c in commands if 'FSFREEZE_HOOK_PATHNAME' in c]
    assert len(hook_cmd) == 1
    assert 'FSFREEZE_HOOK_PATHNAME=/etc/qemu-ga/fsfreeze-hook' in hook_cmd[0]
    assert any('restorecon -R /etc/qemu-ga' in c for c in commands)
    assert any('setsebool -P virt_qemu_ga_run_unconfined on' in c
               for c in commands)
    no_sebool = yaml.safe_load(guest.cloud_init_user_data(
        'rhel', apps=(), selinux_unconfined=False))
    assert not any('setsebool' in ' '.join(c) for c in no_sebool['runcmd'])


def test_cloud_init_sysconfig_edit_really_works(tmp_path):
    # Run the generated shell command against a copy of RHEL's file.
    data = yaml.safe_load(guest.cloud_init_user_data('rhel', apps=()))
    [command] = [c[2] for c in data['runcmd']
                 if 'FSFREEZE_HOOK_PATHNAME' in ' '.join(c)]
    for before, expect in (
            ('BLACKLIST_RPC=guest-exec\nFSFREEZE_HOOK_PATHNAME=/dev/null\n',
             'BLACKLIST_RPC=guest-exec\n'
             'FSFREEZE_HOOK_PATHNAME=/etc/qemu-ga/fsfreeze-hook\n'),
            ('FILTER_RPC_ARGS="--allow-rpcs=guest-ping"\n',
             'FILTER_RPC_ARGS="--allow-rpcs=guest-ping"\n'
             'FSFREEZE_HOOK_PATHNAME=/etc/qemu-ga/fsfreeze-hook\n')):
        sysconfig = tmp_path / 'qemu-ga'
        sysconfig.write_text(before)
        subprocess.run(['sh', '-c', command.replace('/etc/sysconfig/qemu-ga',
                                                    str(sysconfig))],
                       check=True)
        assert sysconfig.read_text() == expect


def test_cloud_init_settings_file_is_sourced_by_the_hooks(tmp_path):
    data = yaml.safe_load(guest.cloud_init_user_data(
        'debian', apps=('mysql',),
        mysql_args='--defaults-extra-file=/etc/mysql/debian.cnf',
        guard_timeout=120))
    content = _files(data)['/etc/default/consistency-probe']['content']
    settings = tmp_path / 'settings'
    settings.write_text(content)
    out = subprocess.run(
        ['sh', '-c', '. "$1"; echo "$CONSISTENCY_MYSQL_ARGS|'
         '$CONSISTENCY_GUARD_TIMEOUT"', 'sh', str(settings)],
        capture_output=True, text=True, check=True).stdout
    assert out == '--defaults-extra-file=/etc/mysql/debian.cnf|120\n'
    with pytest.raises(ValueError):
        cloud_init.user_data(mysql_args="x' ; rm -rf / '")


def test_cloud_init_with_test_hook_and_rejects_unknowns():
    data = yaml.safe_load(cloud_init.user_data(apps=(),
                                               include_test_hook=True))
    assert '/etc/qemu/fsfreeze-hook.d/50-consistency-testapp' in _files(data)
    with pytest.raises(ValueError):
        cloud_init.user_data(family='windows')
    with pytest.raises(ValueError):
        cloud_init.user_data(apps=('oracle',))
