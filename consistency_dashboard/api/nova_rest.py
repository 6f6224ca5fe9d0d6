"""Compute API calls that ``openstack_dashboard.api.nova`` does not make.

python-novaclient (and so Horizon) stops at microversion 2.96, but from 2.98
``GET /servers/detail`` and ``GET /servers/{id}`` return ``image.properties``:
the properties Nova captured at boot (nova/api/openstack/compute/views/
servers.py ``_get_image``).  These calls use the user's token from Horizon's
session against the compute endpoint of the service catalog, with a
keystoneauth session, and return plain dicts (the core reads plain values).
"""
from urllib import parse

from django.conf import settings
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from horizon.utils import functions as horizon_utils
from openstack_dashboard.api import base

from consistency_dashboard.core import microversions

SESSION_CACHE_KEY = "consistency_compute_versions"


def _endpoint(request):
    return base.url_for(request, "compute").rstrip("/")


def _session(request):
    auth = token_endpoint.Token(_endpoint(request), request.user.token.id)
    cacert = getattr(settings, "OPENSTACK_SSL_CACERT", None)
    insecure = getattr(settings, "OPENSTACK_SSL_NO_VERIFY", False)
    return ks_session.Session(auth=auth,
                              verify=cacert or not insecure,
                              timeout=getattr(settings, "API_TIMEOUT", 60))


def _headers(microversion):
    return {"OpenStack-API-Version": "compute %s" % microversion,
            "X-OpenStack-Nova-API-Version": microversion,
            "Accept": "application/json"}


def _get(request, path, microversion):
    response = _session(request).get(_endpoint(request) + path,
                                     headers=_headers(microversion))
    return response.json() or {}


def compute_version_range(request):
    """``(min_version, max_version)`` the compute API advertises, e.g.
    ``("2.1", "2.104")``; one call per endpoint and login session (cached in
    the Django session).  ``(None, None)`` if the API does not say."""
    endpoint = _endpoint(request)
    cache = request.session.get(SESSION_CACHE_KEY) or {}
    if endpoint in cache:
        return tuple(cache[endpoint])
    response = _session(request).get(endpoint + "/",
                                     headers={"Accept": "application/json"})
    version = (response.json() or {}).get("version") or {}
    found = (version.get("min_version") or None,
             version.get("version") or None)
    cache[endpoint] = list(found)
    request.session[SESSION_CACHE_KEY] = cache
    return found


def supports_image_properties(request):
    _min, maximum = compute_version_range(request)
    return bool(microversions.at_least(
        maximum, microversions.SERVER_IMAGE_PROPERTIES))


def server_list_page(request, marker=None, search_opts=None,
                     microversion=microversions.SERVER_IMAGE_PROPERTIES,
                     page_size=None):
    """One page of ``GET /servers/detail`` at ``microversion`` (default 2.98,
    with ``image.properties``), as plain dicts, newest first, like
    Horizon's paginated server list.  Returns ``(servers, has_more)``."""
    page_size = page_size or horizon_utils.get_page_size(request)
    query = dict(search_opts or {})
    query.setdefault("project_id", request.user.project_id)
    query["limit"] = page_size + 1
    if marker:
        query["marker"] = marker
    query["sort_key"] = ["created_at", "display_name", "uuid"]
    query["sort_dir"] = ["desc", "desc", "desc"]
    servers = _get(request, "/servers/detail?%s" % parse.urlencode(
        query, doseq=True), microversion).get("servers", [])
    has_more = len(servers) > page_size
    return servers[:page_size], has_more


def server_get(request, server_id,
               microversion=microversions.SERVER_IMAGE_PROPERTIES):
    """``GET /servers/{id}`` at ``microversion`` as a plain dict."""
    return _get(request, "/servers/%s" % parse.quote(server_id),
                microversion).get("server", {})


# --- Admin: the fleet across projects ------------------------------

# Nova's default ``[api] max_limit``: a list never returns more per request.
NOVA_MAX_LIMIT = 1000


def server_list_all_tenants_page(
        request, marker=None, search_opts=None, page_size=NOVA_MAX_LIMIT,
        microversion=microversions.SERVER_IMAGE_PROPERTIES):
    """One page of ``GET /servers/detail?all_tenants=1`` (admin) at
    ``microversion`` as plain dicts, newest first.  ``search_opts`` may
    narrow it (e.g. ``project_id``).  Returns ``(servers, has_more)``;
    ``has_more`` also holds when Nova's ``max_limit`` is smaller than the
    page asked for (Nova then sends a ``servers_links`` next link)."""
    query = {k: v for k, v in dict(search_opts or {}).items()
             if v is not None}
    query["all_tenants"] = 1
    query["limit"] = page_size + 1
    if marker:
        query["marker"] = marker
    query["sort_key"] = ["created_at", "display_name", "uuid"]
    query["sort_dir"] = ["desc", "desc", "desc"]
    body = _get(request, "/servers/detail?%s" % parse.urlencode(
        query, doseq=True), microversion)
    servers = body.get("servers", [])
    next_link = any(link.get("rel") == "next"
                    for link in body.get("servers_links") or ())
    has_more = len(servers) > page_size or next_link
    return servers[:page_size], has_more


def instance_action_get(request, server_id, request_id, microversion="2.84"):
    """``GET /servers/{id}/os-instance-actions/{request_id}`` as a plain
    dict with its ``events``.  From 2.84 failed events carry ``details``;
    admins also get each event's ``traceback`` (DOMAIN.md "Where a failure
    shows up").  Horizon's api.nova has the action list but not this."""
    return _get(request, "/servers/%s/os-instance-actions/%s" % (
        parse.quote(server_id), parse.quote(request_id)),
        microversion).get("instanceAction", {})
