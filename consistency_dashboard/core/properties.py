"""The image properties that decide snapshot consistency, parsed as Nova does.

Nova declares ``hw_qemu_guest_agent`` and ``os_require_quiesce`` as
FlexibleBooleanField (nova/objects/image_meta.py), which coerces with
``oslo_utils.strutils.bool_from_string(value)`` in non-strict mode: surrounding
whitespace stripped, case ignored, ``1 t true on y yes`` are true,
``0 f false off n no`` are false, and anything else is false.
"""

import dataclasses
import enum

from consistency_dashboard.core.i18n import fill
from consistency_dashboard.core.i18n import gettext_noop

GUEST_AGENT = "hw_qemu_guest_agent"
REQUIRE_QUIESCE = "os_require_quiesce"
# Appears in one backup vendor's guide.  Nothing in nova, glance metadefs or
# horizon reads it (see DOMAIN.md "The image properties").
DEAD_FSFREEZE = "hw_require_fsfreeze"

# The value the one-click fixes write.  Nova reads it as true, and it is the
# spelling of Glance's compute-guest-agent metadef and of nova-manage examples.
FIX_VALUE = "yes"

TRUE_STRINGS = ("1", "t", "true", "on", "y", "yes")
FALSE_STRINGS = ("0", "f", "false", "off", "n", "no")

DEAD_PROPERTY_REASON = gettext_noop(
    "hw_require_fsfreeze has no effect: nothing in Nova, Glance or Horizon "
    "reads it (it comes from one backup vendor's guide); freezing is "
    "controlled by hw_qemu_guest_agent and os_require_quiesce.")


class Spelling(enum.Enum):
    """How Nova reads a raw property value."""
    ABSENT = "absent"          # property not set: Nova's default, false
    TRUE = "true"              # a spelling Nova reads as true
    FALSE = "false"            # a spelling Nova reads as false
    UNPARSEABLE = "unparseable"  # not a boolean spelling: Nova reads false


@dataclasses.dataclass(frozen=True)
class FlexibleBoolean:
    """One boolean image property: the raw value and what Nova makes of it."""
    name: str
    raw: object
    spelling: Spelling

    @property
    def value(self):
        """The boolean Nova uses."""
        return self.spelling is Spelling.TRUE

    @property
    def present(self):
        return self.spelling is not Spelling.ABSENT

    @property
    def raw_differs(self):
        """True when the raw text is not the plain word for what Nova reads,
        so the UI should show both (for example ``" Yes "`` or ``"enabled"``)."""
        if not self.present:
            return False
        return str(self.raw) != ("true" if self.value else "false")

    def describe(self):
        """Plain words for the value, for the UI (a marked text: Nova's
        reading, true or false, is a value and stays as it is)."""
        if self.spelling is Spelling.ABSENT:
            return NOT_SET
        if self.spelling is Spelling.UNPARSEABLE:
            return fill(NOT_A_BOOLEAN, raw=repr(str(self.raw)))
        return fill(NOVA_READS, raw=str(self.raw),
                    value="true" if self.value else "false")


# The words FlexibleBoolean.describe is made of
NOT_SET = gettext_noop("not set (Nova reads: false)")
NOT_A_BOOLEAN = gettext_noop(
    "{raw} is not a boolean Nova understands (Nova reads: false)")
NOVA_READS = gettext_noop("{raw} (Nova reads: {value})")


def parse_flexible_boolean(name, raw):
    """Parse ``raw`` exactly as Nova's FlexibleBooleanField does.

    ``raw`` is None when the image does not have the property.
    """
    if raw is None:
        return FlexibleBoolean(name, None, Spelling.ABSENT)
    if isinstance(raw, bool):
        return FlexibleBoolean(name, raw,
                               Spelling.TRUE if raw else Spelling.FALSE)
    lowered = str(raw).strip().lower()
    if lowered in TRUE_STRINGS:
        return FlexibleBoolean(name, raw, Spelling.TRUE)
    if lowered in FALSE_STRINGS:
        return FlexibleBoolean(name, raw, Spelling.FALSE)
    return FlexibleBoolean(name, raw, Spelling.UNPARSEABLE)


@dataclasses.dataclass(frozen=True)
class ConsistencyProperties:
    """The consistency-relevant properties of one image (or of the copy Nova
    captured into an instance's system_metadata at boot)."""
    guest_agent: FlexibleBoolean
    require_quiesce: FlexibleBoolean
    dead_fsfreeze: object = None  # raw hw_require_fsfreeze value, or None

    @property
    def has_dead_fsfreeze(self):
        return self.dead_fsfreeze is not None


def read_properties(properties):
    """Read the consistency properties from a plain mapping of image
    properties (Glance v2 custom properties, or ``image.properties`` of a
    server at microversion 2.98, or ``volume_image_metadata``)."""
    properties = properties or {}
    return ConsistencyProperties(
        guest_agent=parse_flexible_boolean(
            GUEST_AGENT, properties.get(GUEST_AGENT)),
        require_quiesce=parse_flexible_boolean(
            REQUIRE_QUIESCE, properties.get(REQUIRE_QUIESCE)),
        dead_fsfreeze=properties.get(DEAD_FSFREEZE),
    )
