from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from horizon import forms
from horizon import tabs

from consistency_dashboard.core import posture as core_posture
from consistency_dashboard.dashboards.project.consistency \
    import forms as fix_forms
from consistency_dashboard.dashboards.project.consistency import image_rows
from consistency_dashboard.dashboards.project.consistency \
    import tables as project_tables
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


class ApplyFixView(forms.ModalFormView):
    form_class = fix_forms.ApplyFixForm
    template_name = "consistency_dashboard/project/fix.html"
    modal_id = "apply_fix_modal"
    submit_label = _("Apply")
    success_url = property(lambda self: project_tables.tab_url())
    cancel_url = property(lambda self: project_tables.tab_url())

    def dispatch(self, request, *args, **kwargs):
        self.fix = image_rows.FIX_BY_SLUG.get(kwargs.get("fix"))
        if self.fix is None:
            raise http.Http404(_("Unknown fix."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def page_title(self):
        return core_posture.FIX_LABELS[self.fix]

    @property
    def modal_header(self):
        return core_posture.FIX_LABELS[self.fix]

    @property
    def submit_url(self):
        return reverse("horizon:project:consistency:fix",
                       args=(self.fix.value,))

    def image_ids(self):
        source = self.request.POST if self.request.method == "POST" \
            else self.request.GET
        ids = source.getlist("image_id")
        if not ids and source.get("image_ids"):
            ids = source.get("image_ids").split(",")
        # Keep the user's order, drop duplicates and blanks.
        return list(dict.fromkeys(i.strip() for i in ids if i.strip()))

    def get_initial(self):
        return {"fix": self.fix.value, "image_ids": ",".join(self.image_ids())}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["fix"] = self.fix
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ids = self.image_ids()
        context["fix_description"] = core_posture.FIX_DESCRIPTIONS[self.fix]
        context["existing_instances_warning"] = \
            core_posture.EXISTING_INSTANCES_WARNING
        context["selection"] = fix_forms.preview(self.request, self.fix, ids)
        context["instances_url"] = "%s?tab=consistency__instances" % reverse(
            "horizon:project:consistency:index")
        return context
