"""Extracts the plugin's message catalogue with Django's makemessages.

    python tools/makemessages.py [LOCALE_DIR]

Writes ``LOCALE_DIR/en/LC_MESSAGES/django.po`` (default
``consistency_dashboard/locale``, the layout Horizon plugins ship) from the
Python code in ``consistency_dashboard/`` (the core's words are marked with
``gettext_noop``, one of makemessages' keywords) and the templates in the
top-level ``templates/`` folder, which the wheel ships inside the package.
Translators add ``LOCALE_DIR/<language>/LC_MESSAGES/django.po`` the same way
(``-l``/``--locale`` of makemessages), and ``django-admin compilemessages``
makes the ``.mo`` files.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LOCALE_DIR = os.path.join(ROOT, "consistency_dashboard", "locale")
# What is not the plugin (tests, the demo cloud, docs, tools, build output,
# the guest kit's scripts), and the shipped catalogue itself: a locale/
# folder found in the tree would take the messages instead of LOCALE_DIR.
IGNORE = ["tests/*", "democloud/*", "docs/*", "tools/*", "benchmarks/*",
          "devstack/*", "static/*", "build/*", "dist/*", ".venv/*",
          "*.egg-info/*", "consistency_dashboard/guest/*",
          "consistency_dashboard/locale"]


def make_messages(locale_dir=DEFAULT_LOCALE_DIR, locales=("en",)):
    """Runs makemessages over the source tree into ``locale_dir``; returns
    the paths of the catalogues written."""
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings
    locale_dir = os.path.abspath(locale_dir)
    os.makedirs(locale_dir, exist_ok=True)
    if not settings.configured:
        settings.configure(USE_I18N=True)
        django.setup()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with override_settings(LOCALE_PATHS=[locale_dir]):
                call_command(
                "makemessages", locale=list(locales), domain="django",
                ignore_patterns=IGNORE, no_obsolete=True,
                # file names without line numbers: the catalogue changes
                # only when a message does
                add_location="file", verbosity=0)
    finally:
        os.chdir(cwd)
    return [os.path.join(locale_dir, code, "LC_MESSAGES", "django.po")
            for code in locales]


if __name__ == "__main__":
    for path in make_messages(*(sys.argv[1:2] or [DEFAULT_LOCALE_DIR])):
        print(path)
