"""cloud-init user-data that installs the guest kit.

Pure Python (no Django, no clients, no YAML library needed): the YAML is
written by hand so the scripts stay readable as literal blocks in the text
the user copies.

Families differ in where the stock dispatcher looks for hooks and in how the
agent is told to run it:

- ``debian`` (Debian, Ubuntu): hooks in ``/etc/qemu/fsfreeze-hook.d``; the
  agent reads ``/etc/qemu/qemu-ga.conf`` (``[general] fsfreeze-hook=``).
- ``rhel`` (RHEL, Rocky, Alma, CentOS Stream, Fedora): hooks in
  ``/etc/qemu-ga/fsfreeze-hook.d``; the systemd unit passes
  ``-F${FSFREEZE_HOOK_PATHNAME}`` from ``/etc/sysconfig/qemu-ga``. SELinux
  confines qemu-ga (``virt_qemu_ga_t``); hooks run outside it only when
  labelled ``virt_qemu_ga_unconfined_exec_t`` (the policy's label for that
  directory, so ``restorecon``) and the boolean
  ``virt_qemu_ga_run_unconfined`` is on.
"""

import dataclasses

from consistency_dashboard import guest


@dataclasses.dataclass(frozen=True)
class GuestFamily:
    name: str
    label: str
    hook_dir: str
    dispatcher: str
    notes: tuple


FAMILIES = {
    'debian': GuestFamily(
        name='debian',
        label='Debian / Ubuntu',
        hook_dir=guest.HOOK_DIRS['debian'],
        dispatcher='/etc/qemu/fsfreeze-hook',
        notes=(
            'The agent runs the hook dispatcher only when told to: the '
            'user-data writes /etc/qemu/qemu-ga.conf (replacing any you have).',
            "Debian 12's dispatcher ignores a failing hook; the kit's hooks "
            'report their own result in the probe line.',
        ),
    ),
    'rhel': GuestFamily(
        name='rhel',
        label='RHEL / Rocky / Alma / Fedora',
        hook_dir=guest.HOOK_DIRS['rhel'],
        dispatcher='/etc/qemu-ga/fsfreeze-hook',
        notes=(
            'The agent is told to run the dispatcher through '
            'FSFREEZE_HOOK_PATHNAME in /etc/sysconfig/qemu-ga.',
            'SELinux (RHEL 9): the hooks are relabelled with restorecon and '
            'the boolean virt_qemu_ga_run_unconfined is turned on so they can '
            'run psql/mysql and write to /dev/kmsg. Not verified on a real '
            'RHEL 9 guest by this project: check with "ausearch -m avc" after '
            'a first test snapshot.',
        ),
    ),
}

APPS = tuple(s.name for s in guest.list_scripts() if s.kind == 'app')


def _literal(text, indent):
    pad = ' ' * indent
    return '\n'.join((pad + line) if line else '' for line in
                     text.rstrip('\n').split('\n'))


def _quote(value):
    return "'%s'" % str(value).replace("'", "''")


def _settings_file(settings):
    lines = ['# consistency-dashboard guest kit settings, read by its hooks']
    for key, value in sorted(settings.items()):
        text = str(value)
        if "'" in text or '\n' in text:
            raise ValueError('setting %s: quotes and newlines are not '
                             'allowed' % key)
        lines.append("%s='%s'" % (key, text))
    return '\n'.join(lines) + '\n'


def user_data(family='debian', apps=APPS, mysql_args=None,
              guard_timeout=None, selinux_unconfined=True,
              include_test_hook=False):
    """Return ``#cloud-config`` text installing qemu-guest-agent, the probe
    and the application hooks named in ``apps`` (``postgresql``, ``mysql``).

    ``mysql_args``: extra mysql client arguments for the MySQL hook (for
    example ``--defaults-extra-file=/etc/mysql/debian.cnf``).
    ``guard_timeout``: seconds a database lock may be held without a thaw.
    ``selinux_unconfined``: RHEL family only, turn on
    ``virt_qemu_ga_run_unconfined``.
    """
    if family not in FAMILIES:
        raise ValueError('unknown guest family %r (one of %s)'
                         % (family, ', '.join(sorted(FAMILIES))))
    fam = FAMILIES[family]
    apps = tuple(apps)
    for app in apps:
        if app not in APPS:
            raise ValueError('unknown application hook %r (one of %s)'
                             % (app, ', '.join(APPS)))
    scripts = [guest.get_script(app) for app in apps]
    if include_test_hook:
        scripts.append(guest.get_script('testapp'))
    scripts.append(guest.get_script('probe'))

    settings = {}
    if mysql_args:
        settings['CONSISTENCY_MYSQL_ARGS'] = mysql_args
    if guard_timeout is not None:
        settings['CONSISTENCY_GUARD_TIMEOUT'] = int(guard_timeout)

    out = [
        '#cloud-config',
        '# consistency-dashboard guest kit, probe format v%d, for %s.'
        % (guest.PROBE_FORMAT_VERSION, fam.label),
        '# Installs qemu-guest-agent and fsfreeze hooks that write '
        'CONSISTENCY-PROBE lines',
        '# to the console on every snapshot freeze and thaw.',
    ]
    out += ['# ' + note for note in fam.notes]
    out += [
        'package_update: true',
        'packages:',
        '  - qemu-guest-agent',
        'write_files:',
    ]
    for script in scripts:
        out += [
            '  - path: %s' % script.install_path(family),
            '    owner: root:root',
            "    permissions: '0755'",
            '    content: |',
            _literal(guest.read_script(script.name), 6),
        ]
    if settings:
        out += [
            '  - path: /etc/default/consistency-probe',
            '    owner: root:root',
            "    permissions: '0644'",
            '    content: |',
            _literal(_settings_file(settings), 6),
        ]
    out += [
        '  - path: /etc/sysctl.d/60-consistency-probe.conf',
        '    owner: root:root',
        "    permissions: '0644'",
        '    content: |',
        '      # Userspace lines in the kernel log are rate limited by '
        'default; the probe',
        '      # writes several per snapshot.',
        '      kernel.printk_devkmsg = on',
    ]
    if family == 'debian':
        out += [
            '  - path: /etc/qemu/qemu-ga.conf',
            '    owner: root:root',
            "    permissions: '0644'",
            '    content: |',
            '      [general]',
            '      fsfreeze-hook=%s' % fam.dispatcher,
        ]
    out += ['runcmd:', '  - [sysctl, -q, -w, kernel.printk_devkmsg=on]']
    if family == 'rhel':
        sysconfig = '/etc/sysconfig/qemu-ga'
        out += [
            '  - - sh',
            '    - -c',
            '    - ' + _quote(
                'touch %(f)s; if grep -q "^FSFREEZE_HOOK_PATHNAME=" %(f)s; '
                'then sed -i "s|^FSFREEZE_HOOK_PATHNAME=.*|'
                'FSFREEZE_HOOK_PATHNAME=%(d)s|" %(f)s; '
                'else echo "FSFREEZE_HOOK_PATHNAME=%(d)s" >> %(f)s; fi'
                % {'f': sysconfig, 'd': fam.dispatcher}),
            '  - [sh, -c, %s]' % _quote(
                'if command -v restorecon >/dev/null; then '
                'restorecon -R /etc/qemu-ga; fi'),
        ]
        if selinux_unconfined:
            out.append('  - [sh, -c, %s]' % _quote(
                'if command -v setsebool >/dev/null && selinuxenabled; then '
                'setsebool -P virt_qemu_ga_run_unconfined on; fi'))
    out += [
        '  - [sh, -c, %s]' % _quote(
            'systemctl enable qemu-guest-agent || true; '
            'systemctl restart qemu-guest-agent'),
    ]
    return '\n'.join(out) + '\n'
