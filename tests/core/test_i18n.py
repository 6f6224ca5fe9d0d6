"""The core's marked words: plain English strings that remember their
template, translated by whatever ``translate`` the edge hands in."""

import copy
import json
import pickle

from consistency_dashboard.core import causes
from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop
from consistency_dashboard.core.i18n import join
from consistency_dashboard.core.i18n import ngettext_lazy
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


GERMAN_PLURALS = {
    "{count} test": ("{count} Test", "{count} Tests"),
}


def german_plural(singular, plural, number):
    forms = GERMAN_PLURALS.get(singular, (singular, plural))
    return forms[0] if number == 1 else forms[1]


def test_a_counted_text_is_english_by_its_number_and_translated_by_it():
    one = fill(ngettext_lazy("{count} test", "{count} tests", 1), count=1)
    three = fill(ngettext_lazy("{count} test", "{count} tests", 3), count=3)
    assert (one, three) == ("1 test", "3 tests")
    assert one.translated(german, german_plural) == "1 Test"
    assert three.translated(german, german_plural) == "3 Tests"
    # No plural translator: the English form.
    assert three.translated(german) == "3 tests"
    copied = pickle.loads(pickle.dumps(three))
    assert copied == "3 tests" and copied.plural == "{count} tests"
    assert copied.translated(german, german_plural) == "3 Tests"


def test_a_joined_paragraph_translates_each_part():
    deleted = gettext_noop("Nothing was deleted.")
    tests = fill(ngettext_lazy("{count} test", "{count} tests", 2), count=2)
    paragraph = join(" ", [deleted, "Nova said: busy.", tests])
    assert paragraph == "Nothing was deleted. Nova said: busy. 2 tests"
    # A plain string in it is data, not looked up.
    assert paragraph.translated(german, german_plural) == \
        "Nichts wurde gelöscht. Nova said: busy. 2 Tests"
    stopped = fill(gettext_noop("Stopped: {where}"), where=paragraph)
    assert stopped.translated(german, german_plural) == \
        "Angehalten: Nichts wurde gelöscht. Nova said: busy. 2 Tests"
    copied = pickle.loads(pickle.dumps(paragraph))
    assert copied == paragraph and \
        copied.translated(german, german_plural) == \
        paragraph.translated(german, german_plural)
