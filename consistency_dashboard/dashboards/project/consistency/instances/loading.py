"""Loading one or a few instances as rows, with the same calls as the tab."""

from openstack_dashboard import api

from consistency_dashboard.api import nova_rest
from consistency_dashboard.core import microversions
from consistency_dashboard.dashboards.project.consistency.instances \
    import tabs


def load_row(request, instance_id):
    """The row of one instance (raises what the API raises)."""
    try:
        _min, maximum = nova_rest.compute_version_range(request)
    except Exception:
        maximum = None
    if microversions.at_least(maximum, microversions.SERVER_IMAGE_PROPERTIES):
        server = nova_rest.server_get(request, instance_id)
        version = microversions.SERVER_IMAGE_PROPERTIES
    else:
        server = tabs._plain(api.nova.server_get(request, instance_id))
        version = None
    return tabs.instance_rows(request, [server], maximum, version)[0]


def load_rows(request, instance_ids):
    """Rows for the selected instances of the project: one server list,
    whatever the number selected.  Returns (rows, missing ids)."""
    servers, _more, maximum, version = tabs.list_project_servers(
        request, search_opts=None)
    wanted = [s for s in servers if s.get("id") in set(instance_ids)]
    found = {s["id"] for s in wanted}
    rows = tabs.instance_rows(request, wanted, maximum, version)
    return rows, [i for i in instance_ids if i not in found]
