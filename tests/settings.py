"""Test settings: Horizon's own test settings plus this plugin, applied the
way Horizon applies an enabled/ package."""
import os
import tempfile

from openstack_dashboard.test.settings import *  # noqa: F401,F403
from openstack_dashboard.test import settings as _base
from openstack_dashboard.utils import settings as _settings_utils

import consistency_dashboard.enabled

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Merge the plugin's enabled files into what the base settings built.
# (Calling update_dashboards again on the base HORIZON_CONFIG would replace
# its panel customisations and dashboards.)
_plugin_config = {}
_plugin_apps = []
_settings_utils.update_dashboards(
    [consistency_dashboard.enabled], _plugin_config, _plugin_apps)
HORIZON_CONFIG = _base.HORIZON_CONFIG
HORIZON_CONFIG["panel_customization"] = (
    HORIZON_CONFIG.get("panel_customization", []) +
    _plugin_config["panel_customization"])
for _key in ("js_files", "scss_files", "angular_modules", "js_spec_files",
             "xstatic_modules"):
    for _item in _plugin_config.get(_key, []):
        if _item not in HORIZON_CONFIG.setdefault(_key, []):
            HORIZON_CONFIG[_key].append(_item)
INSTALLED_APPS = [a for a in _plugin_apps if a not in _base.INSTALLED_APPS] \
    + list(_base.INSTALLED_APPS)

# A source checkout (or an editable install) has templates/ and static/ at
# the top level; a wheel has them inside the package (see setup.py).
if not os.path.isdir(os.path.join(
        os.path.dirname(consistency_dashboard.enabled.__file__), "..",
        "templates")):
    TEMPLATES[0]["DIRS"] = list(TEMPLATES[0]["DIRS"]) + [  # noqa: F405
        os.path.join(REPO_ROOT, "templates")]
    STATICFILES_DIRS = list(STATICFILES_DIRS) + [  # noqa: F405
        os.path.join(REPO_ROOT, "static")]

# Not Horizon's shared /tmp/.
COMPRESS_ROOT = os.environ.get(
    "CONSISTENCY_COMPRESS_ROOT",
    os.path.join(tempfile.gettempdir(), "consistency-dashboard-compress"))

# A file, not Horizon's in-memory sqlite: the live server's request threads
# then open their own connections instead of sharing the test thread's
# (which made every browser test warn "DatabaseWrapper objects created in a
# thread can only be used in that same thread").
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.path.join(tempfile.gettempdir(), "consistency-dashboard.db"),
    "TEST": {"NAME": os.path.join(
        tempfile.gettempdir(),
        "consistency-dashboard-test-%d.db" % os.getpid())},
}}
