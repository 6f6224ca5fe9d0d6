"""Turn an OpenStack client failure into a status and a sentence a user can
act on.  Used by every bulk action to say why an item did not change."""

import logging

from django.utils.translation import gettext_lazy as _

LOG = logging.getLogger(__name__)

# Connection-level failures of the clients Horizon uses (glanceclient,
# novaclient, keystoneauth), matched by class name so this module stays free
# of client imports.
_UNREACHABLE = ("CommunicationError", "ConnectFailure", "ConnectionRefused",
                "ConnectTimeout", "ConnectionError", "EndpointNotFound",
                "ServiceUnavailable", "DiscoveryFailure", "Timeout",
                "RequestTimeout", "GatewayTimeout")


def status_of(exc):
    """The HTTP status carried by a client exception, or None.  Keystone
    answers 404 ("Failed to validate token") when a client re-scopes a
    revoked token at ``POST /v3/auth/tokens``: that is the login ending, so
    it is a 401, not a missing resource."""
    for attr in ("code", "status_code", "http_status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            if value == 404 and _is_token_request(exc):
                return 401
            return value
    return None


def _is_token_request(exc):
    url = getattr(exc, "url", None)
    return isinstance(url, str) and \
        url.split("?")[0].rstrip("/").endswith("/auth/tokens")


def explain(exc, service=_("the service")):
    """(status, sentence) for a failed call.  ``status`` is the HTTP status,
    or 'unreachable' when the service could not be reached."""
    status = status_of(exc)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if status in (502, 503, 504) or (status is None and
                                     names.intersection(_UNREACHABLE)):
        return "unreachable", _("%s could not be reached; try again "
                                "later") % service
    detail = service_message(exc)
    lowered = detail.lower()
    if status == 403 and "metadata" in lowered and (
            "quota" in lowered or "exceeds" in lowered):
        # Nova's "Quota exceeded for metadata items", or, from the server
        # metadata API, "Maximum number of metadata items exceeds 128"
        # (MetadataLimitExceeded, seen on the real cloud; limit [quota]
        # metadata_items, 128 by default).
        return 403, _("the instance's metadata is full (Nova allows a "
                      "limited number of metadata items per instance, 128 "
                      "by default): remove metadata keys it no longer "
                      "needs, then try again")
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
    if status is not None and status >= 500 and not detail:
        return status, _("failed (%(status)s): an internal error of "
                         "%(service)s; its log has the details") % {
            "status": status, "service": service}
    if status is not None:
        return status, _("failed (%(status)s)%(detail)s") % {
            "status": status, "detail": ": %s" % detail if detail else ""}
    # Never the exception's own text to the user (it may hold URLs, JSON
    # decode errors, tracebacks): the log has it.
    LOG.warning("%s call failed: %r", service, exc)
    return "error", _("failed unexpectedly (%s); the details are in the "
                      "dashboard's log") % type(exc).__name__


def service_message(exc):
    """The service's own message carried by a client exception (Nova's
    ``badRequest.message`` and the like), or "" when what it carries is not
    a sentence (an HTML or JSON body, a URL)."""
    found = getattr(exc, "details", "") or ""
    if not found and type(exc).__module__.split(".")[0] in (
            "novaclient", "cinderclient"):
        # novaclient/cinderclient keep the service's message in
        # ``message`` (``details`` is the optional third argument).
        found = getattr(exc, "message", "") or ""
    detail = " ".join(str(found).split())
    if not detail or detail[:1] in ("<", "{", "[") or "://" in detail:
        return ""
    if "<class '" in detail or detail.startswith("Unexpected API Error"):
        # Nova's answer to an exception it did not expect names the
        # exception's class ("Unexpected API Error. Please contact the
        # administrator <class 'oslo_messaging.exceptions.MessagingTimeout'>"):
        # nothing a user can act on.
        return ""
    return detail[:300]
