"""The panel's index: the tab group (tabs.py) with its paginated tables."""
from django.utils.translation import gettext_lazy as _

from horizon import tabs

from consistency_dashboard.dashboards.project.consistency \
    import tabs as consistency_tabs


class IndexView(tabs.TabbedTableView):
    tab_group_class = consistency_tabs.ConsistencyTabs
    template_name = "consistency_dashboard/project/index.html"
    page_title = _("Snapshot Consistency")

    def _tab_of(self, table):
        return self._table_dict[table._meta.name]["tab"]

    def has_more_data(self, table):
        return self._tab_of(table).has_more_data(table)

    def has_prev_data(self, table):
        return self._tab_of(table).has_prev_data(table)
