"""The core's words reach the message catalogue and are translated where
the dashboards show them.

The core marks its labels and sentences without Django
(consistency_dashboard/core/i18n.py); tools/makemessages.py extracts the
catalogue with Django's makemessages (xgettext, from the gettext package);
the pages translate at render time, a sentence with values as its template.
"""
import ast
import os
import shutil
import subprocess

from django.conf import settings
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation

from openstack_dashboard import api
from openstack_dashboard.test import helpers as test
import pytest

from consistency_dashboard.core import causes
from consistency_dashboard.core import posture
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import verdict
from consistency_dashboard.dashboards.translation import core_text
from tests import fixtures
from tools import makemessages

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(REPO, "consistency_dashboard", "locale", "en",
                       "LC_MESSAGES", "django.po")
MAKE_CONSISTENT = posture.FIX_LABELS[posture.Fix.MAKE_CONSISTENT]
REFUSED_OTHER = causes.TEMPLATES["refused_other"]

needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgfmt") is None,
    reason="the gettext tools (Debian package gettext) are not installed")


def msgids(po_path):
    """The msgids of a .po file (multi-line ones joined)."""
    found, current = set(), None
    with open(po_path, encoding="utf-8") as po:
        for line in po:
            line = line.strip()
            if line.startswith("msgid "):
                current = [ast.literal_eval(line[len("msgid "):])]
            elif line.startswith('"') and current is not None:
                current.append(ast.literal_eval(line))
            else:
                if current is not None:
                    found.add("".join(current))
                current = None
    return found - {""}


# Core words of each kind: a button label, a cause template with values, a
# reason, a next step, an outcome label and the flow's one wording.
CORE_WORDS = [
    MAKE_CONSISTENT,
    REFUSED_OTHER,
    causes.TEMPLATES["image_silent"],
    paths.FIX_OPTION_TRADEOFFS[paths.FixOption.REBUILD_FROM_IMAGE],
    verdict.Level.FILESYSTEM_CONSISTENT.value,
    paths.Outcome.FILESYSTEM_ENFORCED.value,
    "The instance is {status} (task: {task}). Nothing was deleted.",
    "{step} (The snapshot's bytes could not settle it: {why_not}.)",
]


@needs_gettext
def test_makemessages_extracts_the_core_words(tmp_path):
    [po] = makemessages.make_messages(str(tmp_path / "locale"))
    extracted = msgids(po)
    for words in CORE_WORDS:
        assert str(words) in extracted
    # A sentence with values is in the catalogue as its template.
    filled = causes.cause("refused_other", status=409, message="busy").text
    assert str(filled) not in extracted
    # The templates' own words are there too.
    assert "Why this outcome" in extracted


def test_the_shipped_catalogue_has_the_core_words():
    shipped = msgids(SHIPPED)
    for words in CORE_WORDS:
        assert str(words) in shipped


GERMAN = {
    str(MAKE_CONSISTENT): "Snapshots konsistent machen",
    REFUSED_OTHER: "Nova hat den Snapshot abgelehnt (HTTP {status}): "
                   "{message}",
    "{label}: {cause}": "{label} – {cause}",
    str(paths.Outcome.CRASH_CONSISTENT.value): "nur absturzkonsistent",
    "booted without the guest agent channel":
        "ohne Kanal zum Gastagenten gestartet",
    "rests on {source} ({strength})": "beruht auf {source} ({strength})",
    str(verdict.SRC_GLANCE): "Glance-Abbildstatus",
    str(verdict.Strength.CLOUD.value): "von der Cloud angegeben",
}


def _po_string(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


@pytest.fixture
def german(tmp_path):
    """A compiled German catalogue with a few of the plugin's words."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (Debian package gettext) is not installed")
    folder = tmp_path / "locale" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entries = ['msgid ""', 'msgstr ""',
               '"Content-Type: text/plain; charset=UTF-8\\n"', '']
    for msgid, msgstr in GERMAN.items():
        entries += ["msgid " + _po_string(msgid),
                    "msgstr " + _po_string(msgstr), ""]
    (folder / "django.po").write_text("\n".join(entries), encoding="utf-8")
    subprocess.run(["msgfmt", "--check-format", "-o", str(folder / "django.mo"),
                    str(folder / "django.po")], check=True)
    with override_settings(LOCALE_PATHS=[str(tmp_path / "locale")]):
        yield


def test_core_words_are_translated_at_the_edge(german):
    refused = causes.cause("refused_other", status=409, message="busy").text
    prediction = paths.predict(paths.InstanceFacts(
        storage="file", captured={}))
    with translation.override("de"):
        assert core_text(MAKE_CONSISTENT) == "Snapshots konsistent machen"
        # Filled after translation: the values stay, the sentence changes.
        assert core_text(refused) == \
            "Nova hat den Snapshot abgelehnt (HTTP 409): busy."
        assert core_text(prediction.summary) == \
            "nur absturzkonsistent – ohne Kanal zum Gastagenten gestartet"
        # What a verdict read back from an image rests on: plain English
        # words, still the catalogue's msgids.
        assert core_text(verdict.basis_text(
            "", "Glance image status", "stated by the cloud")) == \
            "beruht auf Glance-Abbildstatus (von der Cloud angegeben)"
        # A word with no translation stays English.
        assert core_text(posture.FIX_LABELS[posture.Fix.ENABLE_AGENT]) == \
            "Enable guest agent"
    with translation.override("en"):
        assert core_text(refused) == str(refused)
        assert core_text(prediction.summary) == \
            "crash-consistent only: booted without the guest agent channel"


class TranslatedPageTests(test.TestCase):

    @pytest.fixture(autouse=True)
    def _german(self, german):
        """The German catalogue, for a user who chose German."""

    def _get(self, url):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
        return self.client.get(url)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_fix_buttons_show_the_translated_label(self):
        self.mock_image_list_detailed.return_value = (
            fixtures.story_images(), False, False)
        self.mock_server_list.return_value = ([], False)
        res = self._get(reverse("horizon:project:consistency:index") +
                        "?tab=consistency__images")
        self.assertContains(res, "Snapshots konsistent machen")
        self.assertNotContains(res, str(MAKE_CONSISTENT))

    def test_fix_page_title_is_translated(self):
        res = self._get(reverse("horizon:project:consistency:fix",
                                args=("make_consistent",)))
        self.assertContains(res, "Snapshots konsistent machen")
        self.assertNotContains(res, str(MAKE_CONSISTENT))
