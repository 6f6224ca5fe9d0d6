"""Turn an OpenStack client failure into a status and a sentence a user can
act on.  Used by every bulk action to say why an item did not change."""

from django.utils.translation import gettext_lazy as _

# Connection-level failures of the clients Horizon uses (glanceclient,
# novaclient, keystoneauth), matched by class name so this module stays free
# of client imports.
_UNREACHABLE = ("CommunicationError", "ConnectFailure", "ConnectionRefused",
                "ConnectTimeout", "ConnectionError", "EndpointNotFound",
                "ServiceUnavailable", "DiscoveryFailure", "Timeout",
                "RequestTimeout", "GatewayTimeout")


def status_of(exc):
    """The HTTP status carried by a client exception, or None."""
    for attr in ("code", "status_code", "http_status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    return None


def explain(exc, service=_("the service")):
    """(status, sentence) for a failed call.  ``status`` is the HTTP status,
    or 'unreachable' when the service could not be reached."""
    status = status_of(exc)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if status in (502, 503, 504) or (status is None and
                                     names.intersection(_UNREACHABLE)):
        return "unreachable", _("%s could not be reached; try again "
                                "later") % service
    detail = str(getattr(exc, "details", "") or "").strip()
    if status == 403:
        return 403, (_("not allowed (403): %s") % detail if detail else
                     _("not allowed (403): this project or role may not do "
                       "this (for an image: only its owner or an "
                       "administrator may change it)"))
    if status == 404:
        return 404, _("not found (404): it was deleted or is no longer "
                      "visible to this project")
    if status == 409:
        return 409, (_("refused (409): %s") % detail if detail else
                     _("refused (409): it is protected, not active or busy"))
    if status == 413:
        return 413, _("quota exceeded (413)%s") % (
            ": %s" % detail if detail else "")
    if status == 400:
        return 400, _("rejected (400)%s") % (": %s" % detail if detail else "")
    if status is not None:
        return status, _("failed (%(status)s)%(detail)s") % {
            "status": status, "detail": ": %s" % detail if detail else ""}
    return "error", _("failed: %s") % (str(exc) or type(exc).__name__)
