"""The core's marked words: plain English strings that remember their
template, translated by whatever ``translate`` the edge hands in."""

import copy
import json
import pickle

from consistency_dashboard.core import causes
from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop
from consistency_dashboard.core.i18n import Text

GERMAN = {
    "Nothing was deleted.": "Nichts wurde gelöscht.",
    "Stopped: {where}": "Angehalten: {where}",
    "The instance is {status}. Nothing was deleted.":
        "Die Instanz ist {status}. Nichts wurde gelöscht.",
    "Nova refused the snapshot (HTTP {status}): {message}":
        "Nova lehnte ab (HTTP {status}): {message}",
    "Over quota: {message}": "Kontingent überschritten: {quota}",
}


def german(msgid):
    return GERMAN.get(msgid, msgid)


def test_marked_words_are_the_english_words():
    text = gettext_noop("Nothing was deleted.")
    assert text == "Nothing was deleted." and isinstance(text, str)
    assert json.dumps({"m": text}) == '{"m": "Nothing was deleted."}'
    assert {text: 1}["Nothing was deleted."] == 1


def test_filled_text_keeps_its_template_and_values():
    where = fill(gettext_noop("The instance is {status}. Nothing was "
                              "deleted."), status="SHUTOFF")
    stopped = fill(gettext_noop("Stopped: {where}"), where=where)
    assert stopped == "Stopped: The instance is SHUTOFF. Nothing was deleted."
    assert stopped.template == "Stopped: {where}"
    # Values that are marked words are translated too; others are data.
    assert stopped.translated(german) == \
        "Angehalten: Die Instanz ist SHUTOFF. Nichts wurde gelöscht."
    assert stopped.translated(lambda msgid: msgid) == str(stopped)


def test_copies_keep_the_template():
    text = fill(gettext_noop("Stopped: {where}"), where="{not a field}")
    for copied in (pickle.loads(pickle.dumps(text)), copy.deepcopy(text)):
        assert copied == text and copied.template == text.template
        assert copied.params == {"where": "{not a field}"}


def test_a_cause_is_translated_with_its_finish():
    refused = causes.cause("refused_other", status=409, message="")
    # The core's sentence ends with a full stop, not the template's colon.
    assert refused.text == "Nova refused the snapshot (HTTP 409)."
    assert refused.text.translated(german) == "Nova lehnte ab (HTTP 409)."


def test_a_translation_that_names_an_unknown_value_falls_back_to_english():
    over = causes.cause("refused_quota", message="snapshots: 10 of 10").text
    assert over.translated(german) == str(over)
    assert isinstance(Text("x").translated(german), str)
