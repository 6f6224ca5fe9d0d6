"""Compute servers: the server list and server reads with the properties
Nova captured at boot, and the createImage call of a test snapshot.

python-novaclient (and so Horizon) stops at microversion 2.96, but from 2.98
``GET /servers/detail`` and ``GET /servers/{id}`` return ``image.properties``:
the properties Nova captured at boot (nova/api/openstack/compute/views/
servers.py ``_get_image``).  Those calls use the user's token from Horizon's
session against the compute endpoint of the service catalog, with one
keystoneauth session per request, and return plain dicts (the core reads
plain values).  On older clouds the same entry points use Horizon's own
``api.nova`` calls and turn what they return into the same plain dicts.

Entry points (the views call these; each says which way it read):

* ``project_servers_page``: one page of the project's servers;
* ``all_projects_servers``: the fleet of an admin, page after page;
* ``server_with_properties``: one server;
* ``max_microversion``: what the cloud's compute API offers;
* ``create_image``: ``createImage`` with the plugin's marker metadata.
"""
import logging
from urllib import parse

from django.conf import settings
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from horizon.utils import functions as horizon_utils
from openstack_dashboard.api import _nova
from openstack_dashboard.api import base
from openstack_dashboard.api import nova
from openstack_dashboard.contrib.developer.profiler import api as profiler

from consistency_dashboard.api import resources
from consistency_dashboard.core import microversions

LOG = logging.getLogger(__name__)

SESSION_CACHE_KEY = "consistency_compute_versions"
# The keystoneauth session of one Django request, kept on the request.
REQUEST_SESSION_ATTR = "_consistency_compute_session"

# Nova's default ``[api] max_limit``: a list never returns more per request.
NOVA_MAX_LIMIT = 1000


def _endpoint(request):
    return base.url_for(request, "compute").rstrip("/")


def _session(request):
    """The request's keystoneauth session (one per Django request, not one
    per call: its connection pool is reused by every call of the page)."""
    found = getattr(request, REQUEST_SESSION_ATTR, None)
    if found is None:
        auth = token_endpoint.Token(_endpoint(request), request.user.token.id)
        cacert = getattr(settings, "OPENSTACK_SSL_CACERT", None)
        insecure = getattr(settings, "OPENSTACK_SSL_NO_VERIFY", False)
        found = ks_session.Session(
            auth=auth, verify=cacert or not insecure,
            timeout=getattr(settings, "API_TIMEOUT", 60))
        setattr(request, REQUEST_SESSION_ATTR, found)
    return found


def _headers(microversion):
    return {"OpenStack-API-Version": "compute %s" % microversion,
            "X-OpenStack-Nova-API-Version": microversion,
            "Accept": "application/json"}


def _get(request, path, microversion):
    response = _session(request).get(_endpoint(request) + path,
                                     headers=_headers(microversion))
    return response.json() or {}


# --- What the compute API offers ------------------------------------------

@profiler.trace
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


def max_microversion(request):
    """The highest compute microversion the cloud offers, or None when it
    cannot be read (every page then takes the older, novaclient way)."""
    try:
        return compute_version_range(request)[1]
    except Exception:
        LOG.info("compute version range not readable", exc_info=True)
        return None


def property_version(maximum):
    """The microversion the servers are read at to carry
    ``image.properties`` (2.98), or None when ``maximum`` is older."""
    if microversions.at_least(maximum, microversions.SERVER_IMAGE_PROPERTIES):
        return microversions.SERVER_IMAGE_PROPERTIES
    return None


# --- The REST calls at 2.98 -----------------------------------------------

def _list_path(query, marker, page_size):
    """``/servers/detail`` with ``query``, one more than ``page_size`` (to
    know whether there is more) from ``marker``, newest first as Horizon's
    paginated list sorts."""
    query = dict(query, limit=page_size + 1,
                 sort_key=["created_at", "display_name", "uuid"],
                 sort_dir=["desc", "desc", "desc"])
    if marker:
        query["marker"] = marker
    return "/servers/detail?%s" % parse.urlencode(query, doseq=True)


@profiler.trace
def server_list_page(request, marker=None, search_opts=None,
                     microversion=microversions.SERVER_IMAGE_PROPERTIES,
                     page_size=None):
    """One page of ``GET /servers/detail`` at ``microversion`` (default 2.98,
    with ``image.properties``), as plain dicts, newest first, like
    Horizon's paginated server list.  Returns ``(servers, has_more)``."""
    page_size = page_size or horizon_utils.get_page_size(request)
    query = dict(search_opts or {})
    query.setdefault("project_id", request.user.project_id)
    servers = _get(request, _list_path(query, marker, page_size),
                   microversion).get("servers", [])
    has_more = len(servers) > page_size
    return servers[:page_size], has_more


@profiler.trace
def server_get(request, server_id,
               microversion=microversions.SERVER_IMAGE_PROPERTIES):
    """``GET /servers/{id}`` at ``microversion`` as a plain dict."""
    return _get(request, "/servers/%s" % parse.quote(server_id),
                microversion).get("server", {})


@profiler.trace
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
    body = _get(request, _list_path(query, marker, page_size), microversion)
    servers = body.get("servers", [])
    next_link = any(link.get("rel") == "next"
                    for link in body.get("servers_links") or ())
    has_more = len(servers) > page_size or next_link
    return servers[:page_size], has_more


# --- Entry points: 2.98 REST where the cloud has it, else Horizon's ------

def project_servers_page(request, marker=None, search_opts=None):
    """One page of the project's servers as plain dicts, with the
    properties Nova captured at boot where the cloud reports them.

    Returns ``(servers, has_more, max_microversion, property_version)``.
    Compute API 2.98+: one REST call that carries ``image.properties``;
    older clouds: Horizon's own paginated list (novaclient, 2.96 at most).
    """
    maximum = max_microversion(request)
    version = property_version(maximum)
    if version:
        servers, more = server_list_page(request, marker=marker,
                                         search_opts=search_opts)
        return servers, more, maximum, version
    opts = dict(search_opts or {}, marker=marker, paginate=True)
    servers, more, _prev = nova.server_list_paged(request, search_opts=opts)
    return [resources.plain(s) for s in servers], more, maximum, None


def server_with_properties(request, server_id, maximum):
    """``(server dict, property_version)`` of one server: read at 2.98 with
    ``image.properties`` when ``maximum`` allows, else with Horizon's get
    (``property_version`` None).  Raises what the API raises."""
    version = property_version(maximum)
    if version:
        return server_get(request, server_id), version
    return resources.plain(nova.server_get(request, server_id)), None


def all_projects_servers(request, marker, search_opts, limit):
    """Up to ``limit`` servers of all projects (narrowed by
    ``search_opts``, e.g. ``project_id``) from ``marker``, newest first, as
    plain dicts.

    Returns ``(servers, has_more, max_microversion, property_version)``.
    Compute 2.98+: REST pages of at most ``NOVA_MAX_LIMIT``
    with the captured ``image.properties``; older clouds: one page of
    Horizon's paginated list."""
    maximum = max_microversion(request)
    version = property_version(maximum)
    search = dict(search_opts or {})
    if not version:
        opts = dict(search, marker=marker, paginate=True, all_tenants=True)
        page, has_more, _prev = nova.server_list_paged(request,
                                                       search_opts=opts)
        return [resources.plain(s) for s in page], has_more, maximum, None
    servers = []
    has_more = True
    page_size = min(limit, NOVA_MAX_LIMIT)
    while has_more and len(servers) < limit:
        page, has_more = server_list_all_tenants_page(
            request, marker=marker, search_opts=search,
            page_size=min(page_size, limit - len(servers)))
        servers.extend(page)
        if not page:
            has_more = False
        else:
            marker = page[-1].get("id")
    return servers, has_more, maximum, version


# --- The test snapshot ----------------------------------------------------

@profiler.trace
def create_image(request, server_id, name, metadata):
    """``POST /servers/{id}/action`` ``createImage`` WITH ``metadata``.

    Horizon's ``api.nova.snapshot_create`` passes no metadata, but the
    plugin must mark its own test snapshots (DOMAIN.md "Snapshot images":
    createImage accepts ``metadata``, and the snapshot keeps it), so it
    never touches an image it did not create.  Horizon's cached novaclient
    makes the call.

    Returns ``(image_id, request_id)``; ``request_id`` (the
    ``x-openstack-request-id`` of the call) names the instance action whose
    events tell how the snapshot went (None when the answer carried none;
    api/actions.py reads them).
    """
    result = _nova.novaclient(request).servers.create_image(
        server_id, name, metadata=dict(metadata))
    request_ids = [r for r in getattr(result, "request_ids", None) or []
                   if isinstance(r, str) and r]
    return str(result), (request_ids[0] if request_ids else None)
