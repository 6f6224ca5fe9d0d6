"""The core's words in the user's language, translated where they are shown.

The core marks its labels and sentences (``consistency_dashboard.core.i18n``)
and stays free of Django; this is the one place that hands them to Django's
gettext.  A sentence with values is translated as its template and filled
after, so the catalogue holds ``"{label}: {cause}"``, not every filled-in
line; one with plural forms gets the form its number needs from
``ngettext``.  Templates use the ``core_text`` filter
(``{% load consistency_text %}``).
"""

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import ngettext

from consistency_dashboard.core.i18n import Text


def core_text(value):
    """``value`` (a core label or sentence) in the active language.

    A plain string is looked up as it is: a sentence read back from an
    image property or a record is the English msgid it was written from.
    Anything else (None, numbers, HTML already built) is returned as it
    is."""
    if isinstance(value, Text):
        return value.translated(gettext, ngettext)
    if isinstance(value, str) and value and not hasattr(value,
                                                         "__html__"):
        return gettext(value)
    return value


# For labels fixed when a module loads (a table action's verbose_name):
# translated each time they are shown, in the language of that request.
core_text_lazy = lazy(core_text, str)
