"""Audit tables: the project panel's cells (same core, same words), plus
the project, the host and links to the diagnosis page."""
from django.urls import NoReverseMatch
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from horizon import tables

from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.images \
    import tables as image_tables
from consistency_dashboard.dashboards.project.consistency.instances \
    import tables as instance_tables
from consistency_dashboard.dashboards.translation import core_text

DIAGNOSIS_URL = "horizon:admin:consistency:diagnosis"


def diagnosis_url(instance_id):
    return reverse(DIAGNOSIS_URL, args=(instance_id,))


def instance_name_cell(row):
    # The whole ID is the title: the row stays one line.
    return format_html('<a href="{}" class="consistency-diagnose" '
                       'title="{}">{}</a>', diagnosis_url(row.id), row.id,
                       row.name)


def project_cell(row):
    if row.project_name and row.project_name != row.project_id:
        return format_html('{}<div class="text-muted small">{}</div>',
                           row.project_name, row.project_id)
    return row.project_id or "-"


def image_link(image_id, label):
    try:
        url = reverse("horizon:admin:images:detail", args=(image_id,))
    except NoReverseMatch:
        return label
    return format_html('<a href="{}">{}</a>', url, label)


def boot_source_cell(row):
    if row.volume_backed:
        return format_html('{}<div class="text-muted">{}</div>',
                           _("Volume-backed"),
                           instance_tables.volume_label(row))
    if row.image is None:
        return format_html('{}<div class="text-muted">{}</div>',
                           _("Image"), _("%s (deleted or not visible)")
                           % row.image_id)
    return format_html('{} {}', _("Image"),
                       image_link(row.image_id, row.image_name))


def owner_cell(row):
    if row.owner_name and row.owner_name != row.owner:
        return format_html('{}<div class="text-muted small">{}</div>',
                           row.owner_name, row.owner)
    return row.owner or "-"


class AuditInstancesTable(tables.DataTable):
    name = tables.Column(instance_name_cell, verbose_name=_("Instance"))
    project = tables.Column(project_cell, verbose_name=_("Project"))
    status = tables.Column("status", verbose_name=_("Status"))
    host = tables.Column("host", verbose_name=_("Host"), empty_value="-")
    boot_source = tables.Column(boot_source_cell,
                                verbose_name=_("Boot source"))
    # One line per row, as in the project panel; where the values come
    # from, every reason and the fixes are on the diagnosis page.
    properties = tables.Column(
        instance_tables.properties_cell,
        verbose_name=_("Captured at boot (→ image now)"),
        classes=("consistency-captured",))
    prediction = tables.Column(instance_tables.prediction_cell,
                               verbose_name=_("Snapshot taken now"),
                               classes=("consistency-prediction",))
    action = tables.Column(instance_tables.action_cell,
                           verbose_name=_("Action"),
                           classes=("consistency-action",))

    class Meta(object):
        name = "audit_instances"
        verbose_name = _("Instances (all projects)")
        multi_select = False


def image_detail_url(row):
    return reverse("horizon:admin:consistency:image_detail", args=(row.id,))


class AuditImagesTable(tables.DataTable):
    """One line per image, as in the project panel: the badge and what
    differs for this image; the name opens every reason, the prediction per
    storage path and the fixes (the legend above the table says what is the
    same for every image)."""
    name = tables.WrappingColumn("name", verbose_name=_("Image"),
                                 link=image_detail_url)
    owner = tables.Column(owner_cell, verbose_name=_("Owner"))
    visibility = tables.Column("visibility", verbose_name=_("Visibility"))
    properties = tables.Column(image_tables.properties_cell,
                               verbose_name=_("Image properties"))
    posture = tables.Column(image_tables.posture_cell,
                            verbose_name=_("Best live snapshot"))
    instances = tables.Column("instance_count",
                              verbose_name=_("Instances"),
                              help_text=_("Loaded instances booted from the "
                                          "image"))

    class Meta(object):
        name = "audit_images"
        verbose_name = _("Images (all projects)")
        multi_select = False


# --- recent snapshots -------------------------------------------------------

def snapshot_instance_cell(row):
    if not row.instance_uuid:
        return "-"
    # instance_uuid is an image property: its owner can write anything.
    if not paths._UUID.match(str(row.instance_uuid)):
        return row.instance_uuid
    return format_html('<a href="{}">{}</a>', diagnosis_url(row.instance_uuid),
                       row.instance_uuid)


def verdict_cell(row):
    if not row.test_snapshot:
        return format_html('<span class="text-muted">{}</span>',
                           _("not a test snapshot: Nova does not say"))
    if row.verdict is None:
        return format_html('<span class="label label-default">{}</span>',
                           _("test snapshot, no verdict yet"))
    attention = row.verdict.level in (core_verdict.Level.FAILED,
                                      core_verdict.Level.CRASH_CONSISTENT)
    # One line: what the verdict rests on ("proven by the snapshot (ext4 /
    # clean)"); the cause, every evidence item and the next step are on the
    # instance's diagnosis page.  A verdict stored without its basis (an
    # older dashboard's) keeps its cause here, its only explanation.
    return format_html(
        '<span class="label {}">{}</span><span class="consistency-headline">'
        ' {}</span>',
        "consistency-badge-attention" if attention else
        "consistency-badge-ok", core_text(row.verdict.label),
        core_text(row.verdict.basis or row.verdict.cause))


class RecentSnapshotsTable(tables.DataTable):
    name = tables.WrappingColumn("name", verbose_name=_("Snapshot"))
    project = tables.Column(owner_cell, verbose_name=_("Project"))
    created = tables.Column("created_at", verbose_name=_("Created"))
    status = tables.Column("status", verbose_name=_("Status"))
    instance = tables.Column(snapshot_instance_cell,
                             verbose_name=_("Instance"))
    verdict = tables.Column(verdict_cell, verbose_name=_("Verdict"))

    class Meta(object):
        name = "recent_snapshots"
        verbose_name = _("Recent snapshots (all projects)")
        multi_select = False
        pagination_param = "snapshots_marker"
        prev_pagination_param = "snapshots_prev_marker"
