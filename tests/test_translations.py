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

from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.core import causes
from consistency_dashboard.core import diagnosis
from consistency_dashboard.core import posture
from consistency_dashboard.core import snapshot_bytes
from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import verdict
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from consistency_dashboard.dashboards.translation import core_text
from tests import fixtures
from tests import test_admin_diagnosis as diagnosis_page
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
    diagnosis.EVENT_SAYS_NOTHING,
    diagnosis.NO_ACTIONS,
    "Its last snapshot request ({when}): {outcome}. {reading}",
    "{raw} (Nova reads: {value})",
    "A second thaw with seq {seq}.",
]
# The diagnosis sentences with plural forms: (singular, plural).
PLURAL_WORDS = [
    ("The dashboard has test-snapshotted it ({count} test) but recorded no "
     "verdict yet.",
     "The dashboard has test-snapshotted it ({count} tests) but recorded no "
     "verdict yet."),
    ("Its console shows {count} freeze/thaw pair reported by the guest.",
     "Its console shows {count} freeze/thaw pairs reported by the guest."),
]


def plural_msgids(po_path):
    """(msgid, msgid_plural) pairs of a .po file."""
    found, current, singular = set(), None, None
    with open(po_path, encoding="utf-8") as po:
        for line in po:
            line = line.strip()
            for key in ("msgid ", "msgid_plural "):
                if line.startswith(key):
                    if key == "msgid_plural ":
                        singular = "".join(current)
                    current = [ast.literal_eval(line[len(key):])]
                    break
            else:
                if line.startswith('"') and current is not None:
                    current.append(ast.literal_eval(line))
                elif current is not None:
                    if singular is not None:
                        found.add((singular, "".join(current)))
                    current, singular = None, None
    return found


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
    # Both forms of a sentence that counts, from the core's marker.
    assert set(PLURAL_WORDS) <= plural_msgids(po)


@needs_gettext
def test_the_shipped_catalogue_is_complete_and_current(tmp_path):
    """The shipped catalogue holds exactly what the extraction finds in
    the code now: a text added, changed or removed without running
    ``python tools/makemessages.py`` fails here."""
    [po] = makemessages.make_messages(str(tmp_path / "locale"))
    extracted, shipped = msgids(po), msgids(SHIPPED)
    assert extracted, "the extraction found nothing"
    assert sorted(extracted - shipped) == [], \
        "not in the shipped catalogue: run python tools/makemessages.py"
    assert sorted(shipped - extracted) == [], \
        "no longer in the code: run python tools/makemessages.py"
    assert plural_msgids(po) == plural_msgids(SHIPPED)


def test_the_shipped_catalogue_has_the_core_words():
    shipped = msgids(SHIPPED)
    for words in CORE_WORDS:
        assert str(words) in shipped
    assert set(PLURAL_WORDS) <= plural_msgids(SHIPPED)


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
    # The diagnosis page's words
    str(diagnosis.EVENT_SAYS_NOTHING):
        "Ab Nova 33.0.0 meldet dieses Ereignis Erfolg, auch wenn der "
        "Snapshot scheitert: es umfasst nur den Beginn der Arbeit.",
    "{prefix} No snapshot image of this instance from that time exists: "
    "Nova deletes the image when the snapshot fails, so it most likely "
    "failed": "{prefix} Kein Snapshot-Abbild dieser Instanz aus dieser Zeit "
              "existiert: Nova loescht das Abbild, wenn der Snapshot "
              "scheitert, also ist er wohl gescheitert",
    "Its last snapshot request ({when}): {outcome}. {reading}":
        "Letzte Snapshot-Anfrage ({when}): {outcome}. {reading}",
    str(diagnosis.ActionOutcome.FAILED.value): "gescheitert",
    "{raw} (Nova reads: {value})": "{raw} (Nova liest: {value})",
    "A second thaw with seq {seq}.": "Ein zweites Thaw mit seq {seq}.",
    # A test snapshot's evidence and proof, as stored on its image
    str(verdict.OBSERVATIONS["pair"]):
        "Freeze seq {seq}, dann Thaw seq {seq}, {gap} auseinander",
    str(verdict.OBSERVATIONS["captured"]):
        "hw_qemu_guest_agent {agent}; os_require_quiesce {quiesce}",
    str(verdict.SRC_GUEST): "vom Gast gemeldet (Konsolenprotokoll)",
    str(verdict.Strength.HOOK_PAIR.value): "schwach: Hooks liefen",
    str(verdict.PROOFS["proof_bytes"]): "bewiesen durch den Snapshot "
                                        "({proof})",
    str(verdict.MEASURED_BY_HOOKS): "Hook-Abstand",
    str(verdict.OBSERVATIONS["bytes_not_checked"]):
        "Bytes des Snapshots nicht geprüft: {why}",
    str(snapshot_bytes.REASONS["read"]):
        "Die Bytes des Snapshots konnten nicht gelesen werden ({detail}).",
    str(causes.TEMPLATES["held_writes"]):
        "Die Testschreibvorgänge des Gastes wurden angehalten ({held}): "
        "das Einfrieren fand statt (seq {seq}). {apps_note}",
    str(causes.NOTES["apps_failed"]):
        "Nicht jeder Anwendungs-Hook war erfolgreich.",
    # Nova's missing message, the disk reader's places and the filesystems
    # a verdict names
    str(causes.NO_MESSAGE): "(keine Meldung)",
    str(snapshot_bytes.WHERE["d"]): "ganze Festplatte",
    snapshot_bytes.WHERE["p"].template: "Partition {number}",
    snapshot_bytes.WHERE["l"].template: "logische Partition {number}",
    snapshot_bytes.LOCATED["d"].template: "{kind} auf der ganzen Festplatte",
    snapshot_bytes.LOCATED["p"].template: "{kind} auf Partition {number}",
    snapshot_bytes.LOCATED["l"].template:
        "{kind} auf logischer Partition {number}",
    str(verdict.OBSERVATIONS["fs_needs_recovery"]):
        "{kind}-Journal braucht im Snapshot eine Wiederherstellung ({where})",
    str(verdict.OBSERVATIONS["fs_state"]): "{kind} ({where}): {state}",
    str(verdict.LOUD_CONTRADICTION):
        "WIDERSPRUCH: {claim}, aber laut den Bytes des Snapshots braucht "
        "{fs} eine Journal-Wiederherstellung.",
}
BYTES_CLEAN = causes.TEMPLATES["bytes_clean"]
# (singular, plural) -> (German singular, German plural)
GERMAN_PLURALS = {
    PLURAL_WORDS[0]: (
        "Das Dashboard hat {count} Test-Snapshot gemacht, aber noch kein "
        "Urteil gespeichert.",
        "Das Dashboard hat {count} Test-Snapshots gemacht, aber noch kein "
        "Urteil gespeichert."),
    ("Its console shows {count} freeze/thaw pair reported by the guest, the "
     "last one's hooks {seconds} s apart (hooks ran; that alone does not "
     "prove the freeze).",
     "Its console shows {count} freeze/thaw pairs reported by the guest, "
     "the last one's hooks {seconds} s apart (hooks ran; that alone does not "
     "prove the freeze)."): (
        "Die Konsole zeigt {count} vom Gast gemeldetes Freeze/Thaw-Paar, "
        "die Hooks des letzten {seconds} s auseinander.",
        "Die Konsole zeigt {count} vom Gast gemeldete Freeze/Thaw-Paare, "
        "die Hooks des letzten {seconds} s auseinander."),
    (BYTES_CLEAN.template, BYTES_CLEAN.plural): (
        "Die Bytes des Snapshots beweisen es: {filesystems} im Snapshot hat "
        "ein sauberes Journal. {apps_note}",
        "Die Bytes des Snapshots beweisen es: {filesystems} im Snapshot "
        "haben ein sauberes Journal. {apps_note}"),
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
               '"Content-Type: text/plain; charset=UTF-8\\n"',
               '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"', '']
    for msgid, msgstr in GERMAN.items():
        entries += ["msgid " + _po_string(msgid),
                    "msgstr " + _po_string(msgstr), ""]
    for (singular, plural), (one, other) in GERMAN_PLURALS.items():
        entries += ["msgid " + _po_string(singular),
                    "msgid_plural " + _po_string(plural),
                    "msgstr[0] " + _po_string(one),
                    "msgstr[1] " + _po_string(other), ""]
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


def _stored_properties():
    """The properties an English session stores on a test snapshot image
    whose bytes prove the freeze."""
    from tests.core import test_verdict as cases
    decided = cases.decide(disk_check=cases.CLEAN,
                           probe=cases.report("fs_verified.log"))
    return verdict.image_properties_for(decided, cases.SETTLED)


def _stored_verdict():
    return verdict.verdict_from_image_properties(_stored_properties())


def test_a_stored_verdict_is_shown_in_the_readers_language(german):
    back = _stored_verdict()
    pair = [i for i in back.evidence if i.source == verdict.SRC_GUEST][0]
    captured = back.evidence[0]
    with translation.override("de"):
        assert core_text(pair.observation) == \
            "Freeze seq 1, dann Thaw seq 1, 0.71 s auseinander"
        assert core_text(pair.source) == \
            "vom Gast gemeldet (Konsolenprotokoll)"
        assert core_text(pair.strength.value) == "schwach: Hooks liefen"
        # Values that are texts are translated too.
        assert core_text(captured.observation) == \
            "hw_qemu_guest_agent yes (Nova liest: true); os_require_quiesce " \
            "yes (Nova liest: true)"
        assert core_text(back.basis) == \
            "bewiesen durch den Snapshot (ext4 / clean)"
    with translation.override("en"):
        assert core_text(pair.observation) == \
            "freeze seq 1 then thaw seq 1, 0.71 s apart"
        assert core_text(back.basis) == "proven by the snapshot (ext4 / clean)"


def test_the_disk_readers_reason_is_quoted_translated(german):
    """A sentence of the disk reader quoted in an evidence item, without
    its full stop, in the reader's language."""
    from tests.core import test_verdict as cases
    decided = cases.decide(disk_check=snapshot_bytes.not_checkable(
        "read", "timeout"))
    back = verdict.verdict_from_image_properties(
        verdict.image_properties_for(decided, cases.SETTLED))
    [item] = [i for i in back.evidence if i.source == verdict.SRC_BYTES]
    assert item.observation == "snapshot's bytes not checked: The " \
        "snapshot's bytes could not be read (timeout)"
    with translation.override("de"):
        assert core_text(item.observation) == \
            "Bytes des Snapshots nicht geprüft: Die Bytes des Snapshots " \
            "konnten nicht gelesen werden (timeout)"


def test_a_causes_note_is_translated_with_it(german):
    params = (("held", "/ 0.31 s"), ("seq", "4"), ("apps_note", "apps_failed"))
    # A record of an older version kept the note's English words.
    older = (("held", "/ 0.31 s"), ("seq", "4"),
             ("apps_note", " Not every application hook succeeded."))
    for stored in (params, older):
        cause = causes.render("held_writes", stored)
        assert str(cause).endswith("(seq 4). Not every application hook "
                                   "succeeded.")
        with translation.override("de"):
            assert core_text(cause).endswith(
                "(seq 4). Nicht jeder Anwendungs-Hook war erfolgreich.")


def test_words_an_older_version_stored_are_shown_as_they_are(german):
    back = verdict.verdict_from_image_properties({
        verdict.VERDICT: "filesystem-consistent",
        verdict.PROOF: "proven by the snapshot (ext4 / clean)",
        verdict.EVIDENCE + "_1": "freeze seq 7 then thaw seq 7, 0.71 s apart "
                                 "(reported by the guest (console log); weak: "
                                 "hooks ran)"})
    [item] = back.evidence
    with translation.override("de"):
        assert core_text(back.basis) == \
            "proven by the snapshot (ext4 / clean)"
        assert core_text(item.observation) == \
            "freeze seq 7 then thaw seq 7, 0.71 s apart"
        # The source and strength are split off and are msgids.
        assert core_text(item.source) == \
            "vom Gast gemeldet (Konsolenprotokoll)"
        assert core_text(item.strength.value) == "schwach: Hooks liefen"


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

    @test.create_mocks({server_calls: ("compute_version_range",
                                       "server_get"),
                        api.glance: ("image_get",)})
    def test_a_test_snapshots_evidence_is_translated(self):
        """An English session stored the verdict; a German reader sees its
        evidence and what it rests on in German."""
        from tests import test_test_snapshots as snapshots
        stamp = snapshots.stamp_ago(600)
        self.mock_compute_version_range.return_value = ("2.1", "2.104")
        self.mock_server_get.return_value = snapshots.server(
            snapshots.record_meta(stamp, image_id=snapshots.IMAGE_ID))
        image = snapshots.marked_image(records.requested_at_of(stamp))
        image._apiresource.update(_stored_properties())
        self.mock_image_get.return_value = image
        res = self._get(snapshots.url("test_snapshot_detail", rows.row_id(
            snapshots.SERVER_ID, stamp, snapshots.IMAGE_ID)))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "bewiesen durch den Snapshot (ext4 / clean)")
        self.assertContains(res, "<td>Freeze seq 1, dann Thaw seq 1, 0.71 s "
                                 "auseinander</td><td>vom Gast gemeldet "
                                 "(Konsolenprotokoll)</td><td>schwach: Hooks "
                                 "liefen</td>", html=False)
        self.assertContains(res, "(Hook-Abstand)")
        self.assertNotContains(res, "then thaw seq")

    def test_fix_page_title_is_translated(self):
        res = self._get(reverse("horizon:project:consistency:fix",
                                args=("make_consistent",)))
        self.assertContains(res, "Snapshots konsistent machen")
        self.assertNotContains(res, str(MAKE_CONSISTENT))


def test_diagnosis_sentences_take_the_plural_form_of_their_count(german):
    from tests.core import test_diagnosis as cases
    one = diagnosis.explain(cases.facts(cases.GOOD, test_snapshots=1))
    three = diagnosis.explain(cases.facts(cases.GOOD, test_snapshots=3))
    assert "(1 test) but" in one and "(3 tests) but" in three
    with translation.override("de"):
        assert "Das Dashboard hat 1 Test-Snapshot gemacht," in \
            core_text(one)
        assert "Das Dashboard hat 3 Test-Snapshots gemacht," in \
            core_text(three)
        # Each sentence is translated on its own: one with no translation
        # stays English beside it.
        assert "; otherwise no snapshot was requested. Das Dashboard hat " \
            "1 Test-Snapshot gemacht, aber noch kein Urteil gespeichert. No " \
            "change to the instance is needed." in core_text(one)
    with translation.override("en"):
        assert core_text(one) == str(one)
        assert core_text(three) == str(three)


class TranslatedDiagnosisPageTests(test.BaseAdminViewTests):
    """The admin diagnosis page in German: the ticket paragraph and the
    readings of the snapshot actions."""

    @pytest.fixture(autouse=True)
    def _german(self, german):
        """The German catalogue, for an admin who chose German."""

    @test.create_mocks(diagnosis_page.MOCKS)
    def test_diagnosis_sentences_are_translated(self):
        diagnosis_page.DiagnosisTests._cloud(self)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
        res = self.client.get(diagnosis_page.URL)
        self.assertEqual(200, res.status_code)
        d = res.context["diagnosis"]
        # The core's paragraph stays English; the page shows it translated,
        # the values (the time, the outcome's word) filled in after.
        self.assertIn("Its last snapshot request (2026-11-26T10:00:00Z): "
                      "failed. From Nova 33.0.0", str(d.explanation))
        self.assertContains(
            res, "Letzte Snapshot-Anfrage (2026-11-26T10:00:00Z): "
                 "gescheitert. Ab Nova 33.0.0 meldet dieses Ereignis Erfolg")
        self.assertContains(res, "Kein Snapshot-Abbild dieser Instanz aus "
                                 "dieser Zeit existiert")
        self.assertNotContains(res, "so it most likely failed")
        # A plural form, chosen by the count (one hook pair).
        self.assertContains(res, "Die Konsole zeigt 1 vom Gast gemeldetes "
                                 "Freeze/Thaw-Paar, die Hooks des letzten "
                                 "0.71 s auseinander.")
        self.assertNotContains(res, "freeze/thaw pair reported by the guest")
        # The readings table: the outcome and the reading.
        self.assertContains(res, "<strong>gescheitert</strong>: Ab Nova "
                                 "33.0.0", html=False)


def test_a_property_value_is_translated_inside_a_diagnosis_sentence(german):
    from tests.core import test_diagnosis as cases
    paragraph = diagnosis.explain(cases.facts(cases.GOOD))
    assert "hw_qemu_guest_agent yes (Nova reads: true) and " \
        "os_require_quiesce yes (Nova reads: true)" in paragraph
    with translation.override("de"):
        assert "hw_qemu_guest_agent yes (Nova liest: true) and " \
            "os_require_quiesce yes (Nova liest: true)" in \
            core_text(paragraph)


def test_a_probe_anomaly_reason_is_translated(german):
    from consistency_dashboard.core import probe
    line = ("[   10.%d] CONSISTENCY-PROBE v1 event=%s seq=4 mono=10.%d "
            "wall=1795000000.0 apps=-")
    report = probe.parse_console("\n".join(
        [line % (1, "freeze", 1), line % (2, "thaw", 2),
         line % (3, "thaw", 3)]) + "\n")
    [anomaly] = report.anomalies
    assert anomaly.reason == "A second thaw with seq 4."
    with translation.override("de"):
        assert core_text(anomaly.reason) == "Ein zweites Thaw mit seq 4."


def test_a_causes_filesystems_and_their_number_are_translated(german):
    """The filesystems a cause names are the disk reader's marked places,
    and their number picks the sentence's form, in English and German."""
    from tests.core import test_verdict as cases
    one = cases.decide(disk_check=cases.CLEAN)
    two = cases.decide(disk_check=cases.disk("clean", "clean"))
    # Stored without their language: the places as short codes.
    assert dict(one.cause_params)["filesystems"] == "d:ext4"
    assert dict(two.cause_params)["filesystems"] == "p1:ext4,p2:ext4"
    assert "has_have" not in dict(one.cause_params)
    assert "prove it: ext4 on the whole disk in the snapshot has a clean " \
        "journal (needs_recovery clear)" in one.cause
    assert "prove it: ext4 on partition 1, ext4 on partition 2 in the " \
        "snapshot have a clean journal (needs_recovery clear)" in two.cause
    back = [verdict.verdict_from_image_properties(
        verdict.image_properties_for(decided, cases.SETTLED)).cause
        for decided in (one, two)]
    assert back == [one.cause, two.cause]
    with translation.override("de"):
        for cause in (one.cause, back[0]):
            assert core_text(cause) == \
                "Die Bytes des Snapshots beweisen es: ext4 auf der ganzen " \
                "Festplatte im Snapshot hat ein sauberes Journal."
        for cause in (two.cause, back[1]):
            assert core_text(cause) == \
                "Die Bytes des Snapshots beweisen es: ext4 auf Partition 1, " \
                "ext4 auf Partition 2 im Snapshot haben ein sauberes Journal."
    with translation.override("en"):
        assert core_text(two.cause) == str(two.cause)


def test_an_older_records_filesystems_are_translated_too(german):
    """A record written before the places were codes kept the English
    words and the verb: it reads the same and is translated the same."""
    older = [causes.render("bytes_clean", params) for params in (
        (("filesystems", "ext4 on the whole disk"), ("has_have", "has"),
         ("apps_note", "")),
        (("filesystems", "ext4 on partition 1, xfs on logical partition 5"),
         ("has_have", "have"), ("apps_note", "")))]
    assert "prove it: ext4 on the whole disk in the snapshot has a clean " \
        "journal" in older[0]
    assert "prove it: ext4 on partition 1, xfs on logical partition 5 in " \
        "the snapshot have a clean journal" in older[1]
    # Words that are not the reader's places stay as they are (data).
    clipped = causes.render("bytes_clean", (
        ("filesystems", "ext4 on partition 1, ext4 on part\u2026"),
        ("has_have", "have"), ("apps_note", "")))
    assert "ext4 on part\u2026 in the snapshot have a clean" in clipped
    with translation.override("de"):
        assert core_text(older[0]) == \
            "Die Bytes des Snapshots beweisen es: ext4 auf der ganzen " \
            "Festplatte im Snapshot hat ein sauberes Journal."
        assert core_text(older[1]) == \
            "Die Bytes des Snapshots beweisen es: ext4 auf Partition 1, xfs " \
            "auf logischer Partition 5 im Snapshot haben ein sauberes Journal."
        assert core_text(clipped) == \
            "Die Bytes des Snapshots beweisen es: ext4 on partition 1, ext4 " \
            "on part\u2026 im Snapshot haben ein sauberes Journal."


def test_the_disk_readers_places_are_translated(german):
    """Where the reader found a filesystem: marked words, the same English
    as before, kept as d / p<N> / l<N> in a stored check."""
    stored = "sb1|qcow2|mbr|clean|4/204800|p1:ext4:c:2048;l5:ext4:r:4096"
    check = snapshot_bytes.decode(stored)
    assert [fs.where for fs in check.filesystems] == \
        ["partition 1", "logical partition 5"]
    assert snapshot_bytes.encode(check) == stored
    whole = snapshot_bytes.decode("sb1|raw||clean|1/4096|d:ext4:c:0")
    from tests.core import test_verdict as cases
    found = cases.decide(disk_check=check, probe=cases.held(
        cases.report("fs_verified.log")))
    [warning] = [w for w in found.warnings if w.startswith("CONTRADICTION")]
    assert "say ext4 on logical partition 5 journal needs recovery" in \
        warning
    back = verdict.verdict_from_image_properties(
        verdict.image_properties_for(found, cases.SETTLED))
    items = [i.observation for i in back.evidence
             if i.source == verdict.SRC_BYTES]
    assert items[0] == "ext4 (partition 1): journal clean (needs_recovery " \
        "clear): " + str(snapshot_bytes.fs_reason(
            "ext4", snapshot_bytes.FsState.CLEAN))
    assert items[1] == "ext4 journal needs recovery in the snapshot " \
        "(logical partition 5)"
    with translation.override("de"):
        assert core_text(whole.filesystems[0].where) == "ganze Festplatte"
        assert [core_text(fs.where) for fs in check.filesystems] == \
            ["Partition 1", "logische Partition 5"]
        assert core_text(items[0]).startswith("ext4 (Partition 1): ")
        assert core_text(items[1]) == "ext4-Journal braucht im Snapshot " \
            "eine Wiederherstellung (logische Partition 5)"
        for text in (warning, back.warnings[0]):
            assert core_text(text).endswith(
                ", aber laut den Bytes des Snapshots braucht ext4 auf "
                "logischer Partition 5 eine Journal-Wiederherstellung.")


def test_places_an_older_version_stored_as_words_are_translated(german):
    """Evidence and a warning stored before the places were marked kept
    them as English words inside the stored text."""
    back = verdict.verdict_from_image_properties({
        verdict.VERDICT: "crash-consistent",
        verdict.EVIDENCE + "_1": '{"k":"SNAPSHOT_BYTES","o":{"c":'
                                 '"fs_needs_recovery","p":{"kind":"ext4",'
                                 '"where":"whole disk"}},"s":"bytes"}',
        verdict.EVIDENCE + "_2": '{"k":"CLOUD","o":{"c":"fs_state","p":{'
                                 '"kind":"xfs","where":{"c":"fs_labelled",'
                                 '"p":{"where":"partition 3","label":"data"'
                                 '}},"state":{"c":"fs_not_checkable"}}},'
                                 '"s":"bytes"}',
        verdict.WARNINGS + "_1": '{"c":"contradiction","p":{"claim":{"c":'
                                 '"claim_held","p":{"seq":1}},"fs":"ext4 on '
                                 'the whole disk"}}'})
    first, second = (item.observation for item in back.evidence)
    assert first == "ext4 journal needs recovery in the snapshot (whole disk)"
    assert second == "xfs (partition 3, label data): not checkable from " \
        "the snapshot"
    assert "say ext4 on the whole disk journal needs recovery" in \
        back.warnings[0]
    with translation.override("de"):
        assert core_text(first) == "ext4-Journal braucht im Snapshot eine " \
            "Wiederherstellung (ganze Festplatte)"
        assert core_text(second).startswith("xfs (Partition 3, label data)")
        assert "braucht ext4 auf der ganzen Festplatte eine " \
            "Journal-Wiederherstellung" in core_text(back.warnings[0])


def test_nova_without_a_message_is_said_in_the_readers_language(german):
    from tests.core import test_verdict as cases
    decided = cases.decide(nova=verdict.NovaAnswer(503, ""))
    assert decided.cause == \
        "Nova refused the snapshot (HTTP 503): (no message)."
    back = verdict.verdict_from_image_properties(
        verdict.image_properties_for(decided, cases.SETTLED))
    with translation.override("de"):
        for cause in (decided.cause, back.cause):
            assert core_text(cause) == \
                "Nova hat den Snapshot abgelehnt (HTTP 503): (keine Meldung)."
        # Nova's own message is data: it stays as Nova wrote it.
        assert core_text(cases.decide(nova=verdict.NovaAnswer(
            503, "Service Unavailable")).cause) == \
            "Nova hat den Snapshot abgelehnt (HTTP 503): Service Unavailable."
