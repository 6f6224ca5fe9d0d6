"""Loading one or a few instances as rows, with the same calls as the tab."""

from consistency_dashboard.api import servers as server_calls
from consistency_dashboard.dashboards.project.consistency.instances \
    import tabs


def load_row(request, instance_id):
    """The row of one instance (raises what the API raises)."""
    maximum = server_calls.max_microversion(request)
    server, version = server_calls.server_with_properties(
        request, instance_id, maximum)
    return tabs.instance_rows(request, [server], maximum, version)[0]


def load_rows(request, instance_ids):
    """Rows for the selected instances of the project: one server list,
    whatever the number selected.  Returns (rows, missing ids)."""
    servers, _more, maximum, version = server_calls.project_servers_page(
        request, search_opts=None)
    wanted = [s for s in servers if s.get("id") in set(instance_ids)]
    found = {s["id"] for s in wanted}
    rows = tabs.instance_rows(request, wanted, maximum, version)
    return rows, [i for i in instance_ids if i not in found]
