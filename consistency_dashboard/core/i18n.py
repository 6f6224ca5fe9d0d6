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

What is stored for later (a Glance property) keeps the words without their
language: :func:`to_data` turns a text into its msgid and values (plain
JSON types), :func:`from_data` makes the same text again, so a reader in
another language sees it in theirs.
"""

import string


class Text(str):
    """English words (``str(text)``) with ``template`` and ``params``;
    a text with plural forms also has ``plural`` and ``number``."""

    def __new__(cls, template, params=None, english=None, plural=None,
                number=None):
        params = dict(params or {})
        plural = None if plural is None else str(plural)
        if english is None:
            english = _english_template(str(template), plural, number)
            english = english.format(**params) if params else english
        text = super().__new__(cls, english)
        text.template = str(template)
        text.params = params
        text.plural = plural
        text.number = number
        return text

    def __reduce__(self):
        return (type(self), (self.template, self.params, str(self),
                             self.plural, self.number))

    def english_template(self):
        """The template the English words are made from: the plural form
        when there is one and the number is not 1."""
        return _english_template(self.template, self.plural, self.number)

    @staticmethod
    def finish(text):
        """The last touch to a filled template (e.g. a closing full stop)."""
        return text

    def translated(self, translate, translate_plural=None):
        """The words in another language: ``translate`` maps a msgid to its
        translation (Django's ``gettext``), ``translate_plural`` a singular,
        plural and number to the form that number needs (``ngettext``).
        Values that are :class:`Text` are translated too.  The English
        words as the core made them when nothing has a translation, or when
        a translation does not fit the values (a placeholder it names is not
        one of them)."""
        params = {name: value.translated(translate, translate_plural)
                  if isinstance(value, Text) else value
                  for name, value in self.params.items()}
        english = self.english_template()
        if self.plural is not None:
            template = translate_plural(
                self.template, self.plural, self.number) \
                if translate_plural is not None else english
        else:
            template = translate(self.template) if self.template else ""
        if template == english and params == self.params:
            return str(self)
        try:
            return self.finish(str(template).format(**params))
        except (KeyError, IndexError, ValueError):
            return str(self)


def _english_template(template, plural, number):
    return plural if plural is not None and number != 1 else template


def gettext_noop(message):
    """Marks ``message`` for the catalogue; returns it unchanged, as a
    :class:`Text`."""
    return Text(message)


def ngettext_lazy(singular, plural, number):
    """Marks the two English forms of a text for the catalogue; returns a
    :class:`Text` of the form ``number`` needs in English, translated at the
    edge with the form the user's language needs (named after Django's
    ``ngettext_lazy``, one of makemessages' keywords: nothing is translated
    here)."""
    return Text(singular, plural=plural, number=number)


def fill(template, **params):
    """The :class:`Text` of ``template`` (a marked text with
    ``{placeholders}``) filled with ``params``."""
    return Text(getattr(template, "template", template), params,
                plural=getattr(template, "plural", None),
                number=getattr(template, "number", None))


class _Joined(Text):
    """Texts joined by a separator, each translated on its own."""

    def __new__(cls, separator, parts):
        parts = tuple(parts)
        text = super().__new__(cls, "", english=separator.join(
            str(p) for p in parts))
        text.separator = separator
        text.parts = parts
        return text

    def __reduce__(self):
        return (type(self), (self.separator, self.parts))

    def translated(self, translate, translate_plural=None):
        return self.separator.join(
            p.translated(translate, translate_plural)
            if isinstance(p, Text) else str(p) for p in self.parts)


def join(separator, parts):
    """A :class:`Text` of ``parts`` (texts, or plain strings that are data)
    joined by ``separator``: the English words are ``separator.join(parts)``
    and a translation joins the parts' translations."""
    return _Joined(separator, parts)


class _Unstopped(Text):
    """A sentence quoted inside another, without its closing full stop."""

    def __new__(cls, sentence):
        text = super().__new__(cls, "", english=str(sentence).rstrip("."))
        text.sentence = sentence
        return text

    def __reduce__(self):
        return (type(self), (self.sentence,))

    def translated(self, translate, translate_plural=None):
        return self.sentence.translated(translate,
                                        translate_plural).rstrip(".")


def unstopped(sentence):
    """``sentence`` without its closing full stop (to quote it inside
    another); a marked sentence stays marked, translated whole first."""
    if isinstance(sentence, Text):
        return _Unstopped(sentence)
    return str(sentence).rstrip(".")


def placeholders(template):
    """The names of the ``{placeholders}`` in ``template``."""
    return tuple(name for _literal, name, _spec, _conv
                 in string.Formatter().parse(str(template)) if name)


def to_data(value, codes=None):
    """``value`` as plain JSON types, language-neutral: a :class:`Text` as
    ``{"t": msgid, "p": {name: value}}`` (``"c": code`` instead of the
    msgid when ``codes``, a mapping of msgid to code, has one;
    ``"pl"``/``"n"`` for a text with plural forms; only the values its
    template names), a joined text as ``{"j": separator, "parts": [...]}``,
    anything else (data) as its string or number.  A text that finishes
    its filled template its own way is kept as its English words (data); a
    sentence without its full stop is ``{"u": sentence}``."""
    codes = codes or {}
    if isinstance(value, _Unstopped):
        return {"u": to_data(value.sentence, codes)}
    if isinstance(value, _Joined):
        return {"j": value.separator,
                "parts": [to_data(p, codes) for p in value.parts]}
    if isinstance(value, Text) and type(value).finish is Text.finish:
        code = codes.get(value.template)
        found = {"c": code} if code else {"t": value.template}
        # only the values the template (or its plural) names: a translation
        # names no others
        named = set(placeholders(value.template)) | set(
            placeholders(value.plural or ""))
        params = {name: to_data(v, codes)
                  for name, v in value.params.items() if name in named}
        if params:
            found["p"] = params
        if value.plural is not None:
            found["pl"], found["n"] = value.plural, value.number
        return found
    return value if isinstance(value, (int, float)) and \
        not isinstance(value, bool) else str(value)


def from_data(data, templates=None):
    """The text :func:`to_data` made ``data`` from (a :class:`Text`, or the
    string or number of a value that is data); ``templates`` maps the codes
    it was given to their msgids.  Raises ValueError for anything else (an
    unknown code, a shape it does not make)."""
    templates = templates or {}
    if isinstance(data, (str, int, float)) and not isinstance(data, bool):
        return data
    if not isinstance(data, dict):
        raise ValueError("not a stored text: %r" % (data,))
    if "u" in data:
        return unstopped(from_data(data["u"], templates))
    if isinstance(data.get("parts"), list) and isinstance(data.get("j"), str):
        return join(data["j"], [from_data(p, templates)
                                for p in data["parts"]])
    template = templates.get(data["c"]) if "c" in data else data.get("t")
    params = data.get("p") or {}
    plural = data.get("pl")
    if not isinstance(template, str) or not isinstance(params, dict) or \
            not isinstance(plural, (str, type(None))):
        raise ValueError("not a stored text: %r" % (data,))
    try:
        return Text(template, {name: from_data(v, templates)
                               for name, v in params.items()},
                    plural=plural, number=data.get("n"))
    except (KeyError, IndexError, ValueError, TypeError) as error:
        raise ValueError("a stored text does not fill: %s" % error)
