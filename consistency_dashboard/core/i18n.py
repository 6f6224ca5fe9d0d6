"""The core's words, marked for translation without importing Django.

The core speaks English.  Every label and sentence a user reads is marked
with :func:`gettext_noop`, one of the keywords ``django-admin makemessages``
hands to xgettext, so it lands in the plugin's message catalogue
(``consistency_dashboard/locale/``).  The dashboards translate it where they
render it (``consistency_dashboard.dashboards.translation``).

A marked text is a :class:`Text`: a ``str`` equal to the English words, so
the core, its tests and anything that stores the words (Glance properties,
the JSON export) see plain English, and that also remembers its template
(the catalogue's msgid) and the values filled into it.  A sentence with
values is made with :func:`fill`, so the catalogue holds the template with
its ``{placeholders}`` and the edge fills the translated template, never
a translation of one filled-in sentence.  Values that are themselves
:class:`Text` are translated too; any other value (a name, an ID, Nova's
message) is data and stays as it is.
"""

import string


class Text(str):
    """English words (``str(text)``) with ``template`` and ``params``."""

    def __new__(cls, template, params=None, english=None):
        params = dict(params or {})
        if english is None:
            english = str(template).format(**params) if params \
                else str(template)
        text = super().__new__(cls, english)
        text.template = str(template)
        text.params = params
        return text

    def __reduce__(self):
        return (type(self), (self.template, self.params, str(self)))

    @staticmethod
    def finish(text):
        """The last touch to a filled template (e.g. a closing full stop)."""
        return text

    def translated(self, translate):
        """The words in another language: ``translate`` maps a msgid to its
        translation (Django's ``gettext``).  Values that are :class:`Text`
        are translated too.  The English words as the core made them when
        nothing has a translation, or when a translation does not fit the
        values (a placeholder it names is not one of them)."""
        params = {name: value.translated(translate)
                  if isinstance(value, Text) else value
                  for name, value in self.params.items()}
        template = translate(self.template) if self.template else ""
        if template == self.template and params == self.params:
            return str(self)
        try:
            return self.finish(str(template).format(**params))
        except (KeyError, IndexError, ValueError):
            return str(self)


def gettext_noop(message):
    """Marks ``message`` for the catalogue; returns it unchanged, as a
    :class:`Text`."""
    return Text(message)


def fill(template, **params):
    """The :class:`Text` of ``template`` (a marked text with
    ``{placeholders}``) filled with ``params``."""
    return Text(getattr(template, "template", template), params)


def placeholders(template):
    """The names of the ``{placeholders}`` in ``template``."""
    return tuple(name for _literal, name, _spec, _conv
                 in string.Formatter().parse(str(template)) if name)
