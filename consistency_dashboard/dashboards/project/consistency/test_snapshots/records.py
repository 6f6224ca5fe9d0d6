"""The record of a test snapshot request kept in the instance's server
metadata, so that a test whose image vanished (Nova deletes a failed
image-backed snapshot: ``delete_image_on_error``, DOMAIN.md "Where a failure
shows up") or that Nova refused still has a record and its failure is not
lost.  Nova limits metadata keys and values to 255 characters.

One key per test: ``consistency_test_<requested at, compact UTC>``; the
value is ``v1;`` followed by ``name=value`` fields separated by ``;``:

* ``s``: state: ``requested`` (written before createImage), ``accepted``,
  ``refused`` (Nova answered 4xx/5xx), ``noanswer`` (Nova did not answer),
  ``settled`` (the verdict is known);
* ``i``: the image id, ``q``: the createImage request id, ``p``: the
  instance's power state at the request, ``h``: Nova's HTTP status when it
  refused, ``v``: the verdict level once known;
* ``c``: the verdict's cause code and ``a``: its short parameters (URL
  query encoded), rendered into the full sentence by core/causes.py, so a
  cause is never cut off;
* ``m``: Nova's message when it refused (always last, clipped to what is
  left of the 255 characters).  Records written before cause codes carry
  the verdict's clipped cause here; they are still read.

Plain values in and out: no Django, no clients.
"""

import dataclasses

from consistency_dashboard.core import causes
from consistency_dashboard.core import timestamps

KEY_PREFIX = "consistency_test_"
VERSION = "v1"
MAX_VALUE = 255
_ORDER = ("s", "i", "q", "p", "h", "v", "c", "a")

REQUESTED = "requested"
ACCEPTED = "accepted"
REFUSED = "refused"
NO_ANSWER = "noanswer"
SETTLED = "settled"


def stamp_of(requested_at):
    """``2026-11-22T05:30:12Z`` -> ``20261122T053012Z``."""
    moment = timestamps.parse_timestamp(requested_at)
    return moment.strftime("%Y%m%dT%H%M%SZ") if moment else None


def requested_at_of(stamp):
    """The inverse of :func:`stamp_of`: an aware datetime or None."""
    text = str(stamp or "")
    if len(text) != 16 or text[8] != "T" or not text.endswith("Z"):
        return None
    return timestamps.parse_timestamp("%s-%s-%sT%s:%s:%sZ" % (
        text[0:4], text[4:6], text[6:8], text[9:11], text[11:13],
        text[13:15]))


def key_for(requested_at):
    return KEY_PREFIX + stamp_of(requested_at)


@dataclasses.dataclass(frozen=True)
class Record:
    instance_id: str
    stamp: str
    state: str = REQUESTED
    image_id: str = None
    request_id: str = None
    power: str = None
    http_status: int = None
    verdict: str = None
    message: str = ""
    cause_code: str = None
    cause_params: tuple = ()

    @property
    def cause(self):
        """The full cause sentence: rendered from the code, else the
        message an older record carries."""
        return causes.render(self.cause_code, self.cause_params) or \
            self.message

    @property
    def key(self):
        return KEY_PREFIX + self.stamp

    @property
    def requested_at(self):
        return requested_at_of(self.stamp)

    def to_value(self):
        fields = {"s": self.state, "i": self.image_id, "q": self.request_id,
                  "p": self.power, "h": self.http_status, "v": self.verdict,
                  "c": self.cause_code,
                  "a": _params(self.cause_params) if self.cause_code
                  else None}
        parts = [VERSION] + ["%s=%s" % (name, _clean(fields[name]))
                             for name in _ORDER if fields[name] is not None]
        head = ";".join(parts)
        message = _clean(self.message)
        if not message:
            return head[:MAX_VALUE]
        room = MAX_VALUE - len(head) - len(";m=")
        if room <= 0:
            return head[:MAX_VALUE]
        if len(message) > room:
            message = message[:room - 1] + "\u2026"
        return head + ";m=" + message

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def _params(params, limit=100):
    """Encoded parameters that fit beside the other fields: long values
    (quotes of Nova's messages) are shortened until they do."""
    text = causes.encode_params(params)
    while len(text) > limit and limit > 10:
        limit -= 20
        text = causes.encode_params(
            (k, v if len(v) <= limit else v[:limit - 1] + "\u2026")
            for k, v in params)
    return text


def _clean(value):
    # ";" separates fields; the message is free text.
    return " ".join(str(value).split()).replace(";", ",")


def parse(instance_id, key, value):
    """The :class:`Record` stored under ``key``, or None when the key or
    the value is not one of ours."""
    if not str(key).startswith(KEY_PREFIX):
        return None
    stamp = str(key)[len(KEY_PREFIX):]
    if requested_at_of(stamp) is None:
        return None
    text = str(value or "")
    if not text.startswith(VERSION + ";") and text != VERSION:
        return None
    fields = {}
    rest = text[len(VERSION) + 1:]
    while rest:
        if rest.startswith("m="):
            fields["m"] = rest[2:]
            break
        part, _sep, rest = rest.partition(";")
        name, eq, found = part.partition("=")
        if eq:
            fields[name] = found
    try:
        status = int(fields["h"]) if fields.get("h") else None
    except ValueError:
        status = None
    return Record(instance_id=instance_id, stamp=stamp,
                  state=fields.get("s") or REQUESTED,
                  image_id=fields.get("i") or None,
                  request_id=fields.get("q") or None,
                  power=fields.get("p") or None, http_status=status,
                  verdict=fields.get("v") or None,
                  message=fields.get("m") or "",
                  cause_code=fields.get("c") or None,
                  cause_params=causes.decode_params(fields.get("a")))


def records_of(instance_id, metadata):
    """Every test snapshot record in one server's metadata, newest first."""
    found = []
    for key, value in (metadata or {}).items():
        record = parse(instance_id, key, value)
        if record is not None:
            found.append(record)
    return sorted(found, key=lambda r: r.stamp, reverse=True)
