from django.urls import NoReverseMatch
from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from horizon import exceptions
from horizon import messages
from horizon import tables

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.core import timestamps
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency \
    import tables as project_tables
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import evidence
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import records
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from consistency_dashboard.dashboards.translation import core_text


_LEVEL_BADGES = {
    core_verdict.Level.FAILED: "label-danger",
    core_verdict.Level.CRASH_CONSISTENT: "label-warning",
    core_verdict.Level.UNKNOWN: "label-default",
    core_verdict.Level.FILESYSTEM_CONSISTENT: "label-info",
    core_verdict.Level.APPLICATION_CONSISTENT: "label-success",
    core_verdict.Level.IN_PROGRESS: "label-default",
}


def tab_url():
    return project_tables.tab_url("test_snapshots")


def detail_url(row):
    return reverse("horizon:project:consistency:test_snapshot_detail",
                   args=(row.id,))


def name_cell(row):
    """One line: the test snapshot (opening its detail page) and its
    instance."""
    if row.image is not None:
        label = format_html("{}", row.name)
    else:
        label = format_html('<span class="text-muted">{}</span>',
                            _("no image") if not row.image_id else
                            _("image %s is gone") % row.image_id)
    if row.has_detail_page:
        label = format_html('<a href="{}" class="consistency-test-link">{}'
                            '</a>', detail_url(row), label)
    try:
        server_url = reverse("horizon:project:instances:detail",
                             args=(row.instance_id,))
        instance = format_html('<a href="{}">{}</a>', server_url,
                               row.instance_name)
    except NoReverseMatch:
        instance = format_html("{}", row.instance_name)
    gone = ""
    if row.instance_gone:
        gone = format_html('&#32;<span class="label label-danger">'
                           '{}</span>', _("instance deleted"))
    # Horizon renders rows {% spaceless %}: the spaces between words are
    # inside the elements.
    return format_html('<span class="consistency-test-image">{}</span>'
                       '<span class="text-muted"> {} {}</span>{}',
                       label, _("of"), instance, gone)


def requested_cell(row):
    return timestamps.format_timestamp(row.requested_at) or "-"


def stage_cell(row):
    return format_html('<span class="consistency-stage" data-stage="{}">{}'
                       '</span>', row.stage, row.stage_label)


def badge_html(row):
    verdict = row.verdict
    badge = _LEVEL_BADGES.get(
        verdict.level if verdict else core_verdict.Level.IN_PROGRESS,
        "label-default")
    return format_html('<span class="label {} consistency-verdict" '
                       'data-verdict="{}">{}</span>', badge,
                       row.level_label, core_text(row.level_label))


def resting_item(row):
    """The evidence item the verdict rests on (rows.TestSnapshotRow)."""
    return row.resting_item


def verdict_cell(row):
    """One line: the verdict, the one piece of evidence it rests on with
    its source, and "n more" to the detail page (every item with its source
    and strength, the cause, the next step, the freeze time).  Below it only
    what cannot wait for a click: a guest that may still be frozen, and what
    this look could not do (a write refused, a service not answering)."""
    parts = [badge_html(row)]
    line = row.rests_on_line
    if line is not None:
        what, source = line
        parts.append(format_html('<span class="consistency-rests-on"> {}'
                                 '</span>', core_text(what)))
        if source:
            parts.append(format_html(
                '<span class="text-muted consistency-source"> ({})</span>',
                core_text(source)))
    if row.verdict is not None and row.has_detail_page:
        more = (ngettext_lazy("%d more", "%d more", row.more_count) %
                row.more_count if row.more_count else _("details"))
        parts.append(format_html('<span class="text-muted"> &middot; </span>'
                                 '<a href="{}" class="consistency-more">{}'
                                 '</a>', detail_url(row), more))
    below = []
    if row.may_still_be_frozen:
        below.append(format_html(
            '<span class="label label-danger consistency-still-frozen">{}'
            '</span>', _("the guest may still be frozen: check it now")))
    for note in row.notes:
        below.append(format_html('<span class="text-warning '
                                 'consistency-warning">{}</span>', note))
    if row.verdict is not None and not row.has_detail_page:
        # Its instance and image are both gone: no detail page can show
        # the cause, so the row keeps it.
        below.append(format_html('<span class="consistency-cause">{}'
                                 '</span>', core_text(row.verdict.cause)))
    html = format_html_join("", "{}", ((p,) for p in parts))
    if below:
        html = format_html('{}<div class="consistency-row-notes">{}</div>',
                           html, format_html_join("&#32;", "{}",
                                                  ((b,) for b in below)))
    return html


def next_step_cell(row):
    step = core_text(row.verdict.next_step) if row.verdict is not None \
        else ""
    warnings = row.warnings
    loud = ""
    if row.may_still_be_frozen:
        loud = format_html('<div class="alert alert-danger '
                           'consistency-still-frozen"><strong>{}</strong>'
                           '</div>', core_text(core_verdict.LOUD_STILL_FROZEN))
    others = [w for w in warnings if w != core_verdict.LOUD_STILL_FROZEN]
    return format_html(
        '{}<div class="consistency-next-step">{}</div>{}', loud,
        step or "-",
        format_html_join("", '<div class="text-warning '
                         'consistency-warning">{}</div>',
                         ((core_text(w),) for w in others)))


class StageColumn(tables.Column):
    """Shows the progress stage; its raw value (the row's poll status)
    drives Horizon's ajax rows: "polling" rows update themselves."""

    def get_raw_data(self, datum):
        return datum.poll_status

    def get_data(self, datum):
        return stage_cell(datum)


class UpdateRow(tables.Row):
    ajax = True

    def get_data(self, request, obj_id):
        try:
            row = evidence.refresh(request, obj_id)
        except ValueError:
            # Not a row id of this table (rows.split_row_id).
            raise exceptions.NotFound()
        except Exception as exc:
            if errors.status_of(exc) != 401:
                raise
            # Keystone refused the token (expired or revoked) while the
            # row polled: say so in the row, decide and write nothing.
            instance_id, stamp, image_id = rows.split_row_id(obj_id)
            return rows.TestSnapshotRow(
                instance_id, stamp,
                record=records.Record(instance_id=instance_id, stamp=stamp,
                                      image_id=image_id),
                notes=[str(rows.LOGIN_EXPIRED_NOTE)], login_expired=True)
        if not rows.shown_to_project(request, row):
            # Horizon drops a row answered with 404.
            raise exceptions.NotFound()
        return row


class DeleteTestSnapshot(tables.DeleteAction):
    """Deletes the test snapshot image, only when it carries the plugin's
    marker, and its record on the instance."""
    help_text = _("Only test snapshots made by this dashboard can be "
                  "deleted here.")
    policy_rules = (("image", "delete_image"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Delete Test Snapshot", "Delete Test Snapshots",
                             count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Deleted Test Snapshot", "Deleted Test Snapshots",
                             count)

    def allowed(self, request, row=None):
        if row is None:
            return True
        if row.image is not None:
            return row.is_test_snapshot
        return row.record is not None

    def _allowed(self, request, datum=None):
        # Horizon keeps one action object per table class and points its
        # ``table`` at the table of the latest request.  While ajax rows
        # update in parallel threads, that may be a row update's table
        # whose data is not loaded yet: BatchAction's "no data, no button"
        # check then hid the button and every row's checkbox of a page
        # being rendered at the same moment (seen in the browser tests).
        # The policy and allowed() decide alone; an empty table has no row
        # to select anyway.
        return tables.Action._allowed(self, request, datum)

    def delete(self, request, obj_id):
        row = self.table.get_object_by_id(obj_id)
        if row is None:
            messages.error(request, _(
                "This test snapshot is no longer listed: it was deleted or "
                "kept as a backup (perhaps in another tab). Nothing was "
                "deleted."))
            raise exceptions.NotFound()
        _instance, _stamp, image_asked = rows.split_row_id(obj_id)
        why = rows.disagreement(row, image_asked)
        if why:
            messages.error(request, why)
            raise exceptions.NotFound()
        if row.image is not None:
            self._delete_image(request, row)
        if row.record is not None and row.server is not None:
            try:
                api.nova.server_metadata_delete(request, row.instance_id,
                                                [row.record.key])
            except Exception as exc:
                _status, why = errors.explain(exc, _("Nova"))
                messages.warning(request, _(
                    "The record of test snapshot %(name)s on instance "
                    "%(instance)s was not removed: %(why)s.") % {
                        "name": row.name, "instance": row.instance_name,
                        "why": why})

    def _delete_image(self, request, row):
        # Read again right before deleting: another tab may have kept it as
        # a backup (marker removed) since this page was loaded; never
        # delete an image the plugin did not make for this project.
        _image, why = rows.reread_own_test_snapshot(
            request, row.image_id, row.instance_id, row.name,
            _("It was not deleted."))
        if why:
            messages.error(request, why)
            raise exceptions.NotFound()
        api.glance.image_delete(request, row.image_id)


class KeepAsBackup(tables.LinkAction):
    name = "keep"
    verbose_name = _("Keep as a real backup")
    classes = ("ajax-modal",)
    icon = "save"
    policy_rules = (("image", "modify_image"),)

    def get_link_url(self, datum=None):
        return reverse("horizon:project:consistency:keep_test_snapshot",
                       args=(datum.id,))

    def allowed(self, request, row=None):
        return row is not None and row.can_keep


class TestSnapshotsTable(tables.DataTable):
    name = tables.Column(name_cell, verbose_name=_("Test snapshot"))
    requested = tables.Column(requested_cell, verbose_name=_("Requested"),
                              classes=("consistency-nowrap",))
    stage = StageColumn("poll_status", verbose_name=_("Progress"),
                        status=True,
                        status_choices=((rows.POLLING, None),
                                        (rows.SETTLED, True),
                                        (rows.STILL_RUNNING, True),
                                        (rows.LOGIN_EXPIRED, True),
                                        (rows.FAILED, False)),
                        classes=("consistency-progress",))
    verdict = tables.Column(verdict_cell,
                            verbose_name=_("Verdict: what it rests on"),
                            classes=("consistency-verdict-cell",))

    def get_object_id(self, datum):
        return datum.id

    def get_object_by_id(self, lookup):
        # Horizon's redirects with "No match returned for the id ..." when
        # a row is gone; the delete action says it in words instead.
        for datum in self.data:
            if str(self.get_object_id(datum)) == str(lookup):
                return datum
        return None

    def get_object_display(self, datum):
        # None for an id that is not (or no longer) in the table: Horizon's
        # BatchAction then names it by its id.
        return datum.name if datum is not None else None

    class Meta(object):
        name = "test_snapshots"
        verbose_name = _("Test snapshots")
        status_columns = ["stage"]
        row_class = UpdateRow
        table_actions = (DeleteTestSnapshot,)
        row_actions = (KeepAsBackup, DeleteTestSnapshot)
