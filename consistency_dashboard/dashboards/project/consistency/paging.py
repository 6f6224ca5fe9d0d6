from horizon import tabs


class PagedTableTab(tabs.TableTab):
    """A TableTab whose data call sets ``_has_more`` / ``_has_prev`` for
    Horizon's marker pagination links (one list call per page)."""
    template_name = "horizon/common/_detail_table.html"
    preload = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._has_more = False
        self._has_prev = False

    def has_more_data(self, table):
        return self._has_more

    def has_prev_data(self, table):
        return self._has_prev
