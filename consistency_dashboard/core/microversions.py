"""Compute API microversions that change what the product can know.

The maximum microversion a cloud advertises (``GET /`` of the compute
endpoint, ``version`` of the CURRENT entry) tells which Nova release serves
the API.  Maxima per release, read from ``_MAX_API_VERSION`` in
``nova/api/openstack/api_version_request.py`` of each release:

* Xena and Yoga 2.90, Zed 2.93, 2023.1/2023.2 2.95, 2024.1/2024.2 2.96,
  2025.1/2025.2 2.100 (DOMAIN.md "Microversions worth knowing");
* Nova 33.0.0 (2026.1 Gazpacho): 2.103 (2.101 volume attach returns 202,
  2.102 flavor name filter, 2.103 removes ``/os-volumes_boot``);
* Nova 34.0.0 (2026.2): 2.104 (``pinned_availability_zone`` update).

So a maximum of 2.101 or more means Nova 33.0.0 or later, the release in
which ``ComputeManager.snapshot_instance`` hands the work to the long task
executor (nova/compute/manager.py, commit 9e678b83eb) and the
``compute_snapshot_instance`` event says Success even when the snapshot fails.

Assumption: the API service and the compute services run the same release.
During a rolling upgrade the API may advertise 2.101+ while an older
nova-compute still reports Error events; an Error event is therefore always
believed, and only a Success event is discounted.
"""

import re

ACTION_EVENTS_FOR_USERS = "2.51"
EVENT_DETAILS = "2.84"
MAX_YOGA = "2.90"         # also the maximum of Xena: nova-manage needs Yoga
SERVER_IMAGE_PROPERTIES = "2.98"

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)\s*$")


def parse(version):
    """``"2.98"`` -> ``(2, 98)``; None for None or text that is not a
    microversion (including ``"latest"``)."""
    if version is None:
        return None
    if isinstance(version, tuple):
        return version
    match = _VERSION.match(str(version))
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def at_least(version, minimum):
    """True/False when ``version`` is known, None when it is not."""
    parsed = parse(version)
    if parsed is None:
        return None
    return parsed >= parse(minimum)


def snapshot_event_reports_failure(max_version, nova_major=None):
    """Whether a failed image-backed snapshot marks the
    ``compute_snapshot_instance`` event Error on this cloud.

    True up to Nova 32, False from Nova 33.0.0, None when unknown.
    ``nova_major`` (an explicit release hint, e.g. 33) wins over the
    microversion.
    """
    if nova_major is not None:
        return int(nova_major) < 33
    newer = at_least(max_version, "2.101")
    if newer is None:
        return None
    return not newer


def yoga_or_later(max_version, nova_major=None):
    """Nova 25.0.0 Yoga or later: True when certain, False when certainly
    older, None when the maximum microversion cannot tell (2.90 is the
    maximum of both Xena and Yoga)."""
    if nova_major is not None:
        return int(nova_major) >= 25
    parsed = parse(max_version)
    if parsed is None:
        return None
    if parsed > parse(MAX_YOGA):
        return True
    if parsed == parse(MAX_YOGA):
        return None
    return False


def silent_agent_skipped(max_version, nova_major=None):
    """Whether an image-backed live snapshot goes on unfrozen when the agent
    is silent even with ``os_require_quiesce`` (change caf5faf556, first
    released in Nova 25.0.0 Yoga; Xena and older fail the snapshot).
    True / False / None as :func:`yoga_or_later`."""
    return yoga_or_later(max_version, nova_major)


def event_microversion(max_version):
    """The microversion to read instance action events at: 2.84 (failed
    events carry ``details``, admin-only by default policy) where the cloud
    has it, else 2.51 (from which non-admins see events at all; never 2.1),
    2.51 when the maximum is unknown, None when the cloud is older than
    2.51 (its events are admin-only)."""
    if at_least(max_version, EVENT_DETAILS):
        return EVENT_DETAILS
    older = at_least(max_version, ACTION_EVENTS_FOR_USERS)
    if older is False:
        return None
    return ACTION_EVENTS_FOR_USERS


def nova_manage_image_property_available(max_version, nova_major=None):
    """``nova-manage image_property set`` exists from Nova 25.0.0 Yoga.

    True when certain, False when certainly older, None when the maximum
    microversion cannot tell (2.90 is the maximum of both Xena and Yoga).
    """
    return yoga_or_later(max_version, nova_major)
