"""What the detail pages of an image, an instance and a test snapshot share
(Horizon's TabView idiom): the row loaded once per request, the page title,
the link back to the panel's tab and the row's own actions."""

from horizon import tabs


class RowDetailView(tabs.TabView):
    """Subclasses load the row in ``get_data`` (memoized), say where
    ``back_url`` leads and, when the row has actions, which table renders
    them (``actions_table``)."""
    template_name = "horizon/common/_detail.html"
    page_title = "{{ row.name }}"
    actions_table = None

    def back_url(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.get_data()
        context["row"] = row
        context["url"] = self.back_url()
        if self.actions_table is not None:
            context["actions"] = self.actions_table(
                self.request).render_row_actions(row)
        return context

    def get_tabs(self, request, *args, **kwargs):
        return self.tab_group_class(request, row=self.get_data(), **kwargs)
