"""The guest kit: what goes inside an instance so a snapshot's freeze leaves
evidence in its console log (probe line format v2, docs/probe-format.md).

The scripts are package data under ``scripts/``; this module names them and
hands out their text so the panel can offer them for download and the
cloud-init generator can embed them. Pure Python: no Django, no clients.
"""

import dataclasses
import importlib.resources

PROBE_FORMAT_VERSION = 2

#: Where the stock dispatcher of each guest family looks for hooks.
HOOK_DIRS = {
    'debian': '/etc/qemu/fsfreeze-hook.d',
    'rhel': '/etc/qemu-ga/fsfreeze-hook.d',
}


@dataclasses.dataclass(frozen=True)
class GuestScript:
    """One script of the kit.

    ``name`` is the short name used in the API and the UI (``probe``,
    ``postgresql``, ``mysql``, ``testapp``); ``filename`` is the name it must
    have inside ``fsfreeze-hook.d`` (the dispatcher runs hooks in name order,
    and the probe has to run last); ``kind`` is ``probe``, ``app`` or
    ``test``.
    """

    name: str
    filename: str
    kind: str
    title: str
    description: str

    def install_path(self, family='debian'):
        return '%s/%s' % (HOOK_DIRS[family], self.filename)


SCRIPTS = (
    GuestScript(
        name='probe',
        filename='99-consistency-probe',
        kind='probe',
        title='Consistency probe',
        description=(
            'Writes one line to the console per freeze and per thaw, with a '
            'sequence number, the guest clocks and the result of every '
            'application hook. Required: without it there is no evidence.'),
    ),
    GuestScript(
        name='postgresql',
        filename='10-consistency-postgresql',
        kind='app',
        title='PostgreSQL',
        description=(
            'Runs CHECKPOINT before the freeze and reports ok, fail or '
            'skipped (PostgreSQL not installed or not running).'),
    ),
    GuestScript(
        name='mysql',
        filename='10-consistency-mysql',
        kind='app',
        title='MySQL / MariaDB',
        description=(
            'Holds FLUSH TABLES WITH READ LOCK in an open session across the '
            'freeze and releases it on thaw; if no thaw comes in time a guard '
            'releases it and says so.'),
    ),
    GuestScript(
        name='testapp',
        filename='50-consistency-testapp',
        kind='test',
        title='Test application',
        description=(
            'Stands in for an application in test and demo guests: reports '
            'the result it is told to (kernel command line '
            'consistency.testapp=ok|fail|skipped).'),
    ),
)


def list_scripts(include_test=False):
    """The kit's scripts in install order (application hooks, then the
    probe); the test hook only when asked for."""
    scripts = [s for s in SCRIPTS if include_test or s.kind != 'test']
    return sorted(scripts, key=lambda s: s.filename)


def get_script(name):
    """A script by short name or by file name; ``KeyError`` if unknown."""
    for script in SCRIPTS:
        if name in (script.name, script.filename):
            return script
    raise KeyError(name)


def _resource(filename):
    return importlib.resources.files(__name__).joinpath('scripts', filename)


def read_script(name):
    """The text of a script (by short name or file name)."""
    return _resource(get_script(name).filename).read_text(encoding='utf-8')


def script_path(name):
    """A context manager giving a real file path for a script (the package
    may be installed zipped)::

        with script_path('probe') as path:
            subprocess.run([path, 'freeze'])
    """
    return importlib.resources.as_file(_resource(get_script(name).filename))


def windows_notes():
    """Markdown text about Windows guests (no scripts: VSS does the work)."""
    return importlib.resources.files(__name__).joinpath(
        'windows.md').read_text(encoding='utf-8')


def cloud_init_user_data(family='debian', apps=('postgresql', 'mysql'),
                         **settings):
    """cloud-init user-data installing the agent, the probe and ``apps``.

    See :func:`consistency_dashboard.guest.cloud_init.user_data`.
    """
    from consistency_dashboard.guest import cloud_init
    return cloud_init.user_data(family=family, apps=apps, **settings)
