from urllib import parse

from django import http
from django.contrib import messages as django_messages
from django import shortcuts
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from horizon import messages
from horizon import tables
from horizon import views as horizon_views

from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.dashboards.admin.consistency import export
from consistency_dashboard.dashboards.admin.consistency import fleet
from consistency_dashboard.dashboards.admin.consistency import investigate
from consistency_dashboard.dashboards.admin.consistency import snapshots
from consistency_dashboard.dashboards.admin.consistency \
    import tables as admin_tables
from consistency_dashboard.dashboards.project.consistency.instances \
    import tables as instance_tables

INDEX_URL = "horizon:admin:consistency:index"


def _url(name, query=None, args=()):
    url = reverse("horizon:admin:consistency:%s" % name, args=args)
    if query:
        url += "?" + parse.urlencode(query)
    return url


class _FleetMixin(object):
    """Loads the fleet once per request for the page's filters and
    marker."""

    def get_filters(self):
        return fleet.Filters.from_query(self.request.GET)

    def get_fleet(self):
        if not hasattr(self, "_fleet"):
            self._fleet = fleet.load_fleet(
                self.request, marker=self.request.GET.get("marker") or None,
                filters=self.get_filters())
        return self._fleet


# (label, what, format) of the export buttons: this page's rows, and every
# instance the filters keep
EXPORTS = ((_("Instances CSV"), "instances", "csv"),
           (_("Instances JSON"), "instances", "json"),
           (_("Images CSV"), "images", "csv"),
           (_("Images JSON"), "images", "json"))
EXPORTS_ALL = ((_("All instances CSV"), "instances", "csv"),
               (_("All instances JSON"), "instances", "json"))


def _export_links(query, id_prefix, exports):
    """(label, URL, element id) of each export button."""
    return [(label, _url("export", query, (what, fmt)),
             "%s-%s-%s" % (id_prefix, what, fmt))
            for label, what, fmt in exports]


class AuditView(_FleetMixin, tables.MultiTableView):
    table_classes = (admin_tables.AuditInstancesTable,
                     admin_tables.AuditImagesTable)
    template_name = "consistency_dashboard/admin/audit.html"
    page_title = _("Snapshot Consistency: fleet audit")

    def get_audit_instances_data(self):
        return self.get_fleet().instances

    def get_audit_images_data(self):
        return self.get_fleet().images

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        found = self.get_fleet()
        filters = found.filters
        query = filters.as_query()
        if found.marker:
            query_with_marker = dict(query, marker=found.marker)
        else:
            query_with_marker = dict(query)
        projects = sorted((found.projects or {}).items(),
                          key=lambda item: (item[1] or "").lower())
        context.update({
            "fleet": found,
            "summary": found.summary(),
            "filters": filters,
            "projects": projects,
            "boot_sources": (("", _("any")), ("image", _("image")),
                             ("volume", _("volume"))),
            "export_links": _export_links(query_with_marker, "export",
                                          EXPORTS),
            "export_all_links": _export_links(dict(query, scope="all"),
                                              "export-all", EXPORTS_ALL),
            "next_url": (_url("index", dict(query, marker=found.next_marker))
                         if found.has_more and found.next_marker else None),
            "first_url": _url("index", query) if found.marker else None,
            "audit_rows": fleet.audit_rows(),
            "diagnosis_search_url": _url("diagnosis_search"),
            "snapshots_url": _url("snapshots"),
        })
        return context


class ExportView(_FleetMixin, horizon_views.APIView):
    """The rows of the audit page with the same filters and marker, as CSV
    or JSON (streamed)."""

    def get(self, request, kind, fmt):
        if kind == "instances" and request.GET.get("scope") == "all":
            return self.whole_cloud(request, fmt)
        found = self.get_fleet()
        if kind == "instances":
            records = (export.instance_record(r) for r in found.instances)
            fields = export.INSTANCE_FIELDS
            shown, loaded = len(found.instances), len(found.instance_rows)
        else:
            records = (export.image_record(r) for r in found.images)
            fields = export.IMAGE_FIELDS
            shown, loaded = len(found.images), len(found.audited_images)
        name = "snapshot-consistency-%s" % kind
        if fmt == "csv":
            response = http.StreamingHttpResponse(
                export.csv_lines(records, fields),
                content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = \
                'attachment; filename="%s.csv"' % name
        else:
            meta = {"kind": kind, "filters": found.filters.as_query(),
                    "marker": found.marker, "rows": shown,
                    "loaded": loaded, "more_instances": found.has_more,
                    "next_marker": found.next_marker,
                    "nova_failed": found.nova_failed,
                    "glance_failed": found.glance_failed}
            response = http.StreamingHttpResponse(
                export.json_chunks(records, meta),
                content_type="application/json")
            response["Content-Disposition"] = \
                'attachment; filename="%s.json"' % name
        # Failure messages were meant for a page: the export says them in
        # its "meta" (JSON); consume them so the next page does not repeat.
        for _message in django_messages.get_messages(request):
            pass
        return response


    def whole_cloud(self, request, fmt):
        """Every instance of the cloud with the page's filters, read page
        by page while streaming (calls grow with pages, not rows)."""
        filters = self.get_filters()
        records = (export.instance_record(r) for r in
                   fleet.iter_all_instances(request, filters))
        name = "snapshot-consistency-instances-all"
        stopped = (fleet.ExportStopped,)
        if fmt == "csv":
            response = http.StreamingHttpResponse(
                export.csv_lines(records, export.INSTANCE_FIELDS, stopped),
                content_type="text/csv; charset=utf-8")
        else:
            meta = {"kind": "instances", "scope": "all",
                    "filters": filters.as_query()}
            response = http.StreamingHttpResponse(
                export.json_chunks(records, meta, stopped),
                content_type="application/json")
        response["Content-Disposition"] = \
            'attachment; filename="%s.%s"' % (name, fmt)
        return response


class DiagnosisSearchView(horizon_views.APIView):
    """The UUID search box: to the instance's diagnosis page."""

    def get(self, request):
        instance_id = (request.GET.get("instance") or "").strip()
        if not paths._UUID.match(instance_id):
            messages.warning(request, _("Enter an instance UUID (36 "
                                        "characters, e.g. 7c0b5a63-7f4e-"
                                        "4f7a-9a43-1d0b6a2b1c11)."))
            return shortcuts.redirect(reverse(INDEX_URL))
        return shortcuts.redirect(_url("diagnosis", args=(instance_id,)))


class DiagnosisView(horizon_views.HorizonTemplateView):
    template_name = "consistency_dashboard/admin/diagnosis.html"
    page_title = _("Snapshot diagnosis")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        found = investigate.diagnose(self.request, kwargs["instance_id"])
        context["diagnosis"] = found
        row = found.row
        if row is not None:
            context["cells"] = {
                "boot_source": admin_tables.boot_source_cell(row),
                "captured": instance_tables.captured_detail_cell(row),
                "current": instance_tables.current_detail_cell(row),
                "prediction": instance_tables.prediction_detail_cell(row),
                "action": instance_tables.action_detail_cell(row),
            }
            context["hypervisor"] = (found.server or {}).get(
                "OS-EXT-SRV-ATTR:hypervisor_hostname")
        context["audit_url"] = reverse(INDEX_URL)
        context["diagnosis_search_url"] = _url("diagnosis_search")
        return context


class RecentSnapshotsView(tables.DataTableView):
    table_class = admin_tables.RecentSnapshotsTable
    template_name = "consistency_dashboard/admin/snapshots.html"
    page_title = _("Recent snapshots")

    def has_more_data(self, table):
        return self._more

    def has_prev_data(self, table):
        return self._prev

    def get_data(self):
        meta = self.table_class._meta
        prev_marker = self.request.GET.get(meta.prev_pagination_param)
        marker = prev_marker or self.request.GET.get(meta.pagination_param)
        found, self._more, self._prev = snapshots.recent_snapshots(
            self.request, marker=marker, reversed_order=bool(prev_marker),
            tests_only=self.request.GET.get("tests") == "1")
        return found

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tests_only = self.request.GET.get("tests") == "1"
        context["tests_only"] = tests_only
        context["toggle_url"] = _url("snapshots",
                                     None if tests_only else {"tests": "1"})
        context["audit_url"] = reverse(INDEX_URL)
        return context
