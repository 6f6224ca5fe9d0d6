from urllib import parse

from django import shortcuts
from django.urls import NoReverseMatch
from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from horizon import tables

from consistency_dashboard.core import snapshot_paths as paths
from consistency_dashboard.dashboards.project.consistency \
    import tables as image_tables
from consistency_dashboard.dashboards.translation import core_text

INDEX_URL = "horizon:project:consistency:index"
TAB = "consistency__instances"


def _booleans(props):
    if props is None:
        return format_html('<span class="text-muted">{}</span>',
                           _("unknown"))
    return format_html(
        '<div>hw_qemu_guest_agent: {}</div><div>os_require_quiesce: {}</div>',
        image_tables.boolean_cell(props.guest_agent),
        image_tables.boolean_cell(props.require_quiesce))


def captured_detail_cell(row):
    """For detail pages: the values and where they come from."""
    return format_html('{}<div class="consistency-source text-muted">{}'
                       '</div>', _booleans(row.captured.properties),
                       core_text(row.captured.source_label))


def current_detail_cell(row):
    return _booleans(row.current)


def prediction_detail_cell(row):
    """For detail pages: the summary and every reason."""
    prediction = row.prediction
    return format_html(
        '<div class="consistency-posture"><strong>{}</strong>'
        '<ul class="consistency-reasons">{}</ul></div>',
        core_text(prediction.summary),
        format_html_join("", "<li>{}</li>",
                         ((core_text(r),) for r in prediction.reasons)))


def compact_boolean(boolean):
    """What Nova reads, in one word; the raw spelling is the title when it
    differs, shown only when Nova cannot read it at all."""
    if not boolean.present:
        return format_html('<span class="text-muted">{}</span>', _("unset"))
    if boolean.spelling.value == "unparseable":
        return format_html(
            '<code class="consistency-raw" title="{}">{}</code>&rarr;{}',
            _("Not a boolean Nova understands; Nova reads it as false."),
            Truncator(str(boolean.raw)).chars(12), _("false"))
    word = _("true") if boolean.value else _("false")
    if boolean.raw_differs:
        return format_html('<span title="{}">{}</span>', str(boolean.raw),
                           word)
    return format_html("{}", word)


def _captured_then_now(captured, current):
    value = compact_boolean(captured)
    if current is not None and current.value != captured.value:
        return format_html(
            '{} <span class="consistency-now" title="{}">&rarr; {}</span>',
            value, _("the image's value now (Nova does not use it for this "
                     "instance until it is rebuilt)"),
            compact_boolean(current))
    return value


def properties_cell(row):
    """What Nova captured at boot, with the image's value now beside it
    where it differs (the reason a rebuild is needed), on one line."""
    captured = row.captured.properties
    if captured is None:
        return format_html('<span class="text-muted">{}</span>',
                           _("unknown"))
    current = row.current
    return format_html(
        '<span class="consistency-compact"><span class="consistency-item">'
        '<abbr title="hw_qemu_guest_agent">{}</abbr>&nbsp;{}</span> &middot; '
        '<span class="consistency-item"><abbr title="os_require_quiesce">{}'
        '</abbr>&nbsp;{}</span></span>',
        _("agent"), _captured_then_now(
            captured.guest_agent,
            current.guest_agent if current is not None else None),
        _("quiesce"), _captured_then_now(
            captured.require_quiesce,
            current.require_quiesce if current is not None else None))


def _short(text, length=20):
    """A name cut to fit one line, the whole of it as the title."""
    text = str(text)
    short = Truncator(text).chars(length)
    if short == text:
        return format_html("{}", text)
    return format_html('<span title="{}">{}</span>', text, short)


def detail_url(row):
    return reverse("horizon:project:consistency:instance_detail",
                   args=(row.id,))


def volume_label(row):
    """The boot volume's name (its ID when it has none), or that it was
    not found."""
    volume = row.volume
    if volume is None:
        return _("boot volume not found")
    return getattr(volume, "name", None) or getattr(volume, "id", None)


def boot_source_cell(row):
    if row.volume_backed:
        return format_html('{}: <span class="text-muted">{}</span>',
                           _("Volume"), _short(volume_label(row)))
    url = image_tables.image_url(row.image_id)
    if row.image is None:
        return format_html('{}: <span class="text-muted" title="{} ({})">{} '
                           '({})</span>', _("Image"), row.image_id,
                           _("deleted or not visible"),
                           Truncator(str(row.image_id)).chars(9),
                           _("not found"))
    return format_html('{}: <a href="{}">{}</a>', _("Image"), url,
                       _short(row.image_name))


def prediction_cell(row):
    """The outcome and its short cause; the sentences why are on the
    detail page."""
    prediction = row.prediction
    return image_tables.badge_html(prediction.label,
                                   prediction.action_needed,
                                   _cause_line(prediction))


def _cause_line(prediction):
    text = core_text(prediction.cause) or ""
    if prediction.rebuild_needed:
        text = (_("%(cause)s; rebuild needed") % {"cause": text} if text
                else _("rebuild needed"))
    return text


def action_cell(row):
    if not row.action_needed:
        return format_html('<span class="label consistency-badge-ok">{}'
                           '</span>', _("no action needed"))
    badge = format_html('<span class="label consistency-badge-attention '
                        'consistency-action-needed">{}</span>',
                        core_text(row.prediction.badge))
    if getattr(row, "volume_fix_before", None) is not None:
        return format_html('{}<div class="consistency-headline">{}</div>',
                           badge, _("volume fixed: re-create the server"))
    return badge


def action_detail_cell(row):
    if getattr(row, "volume_fix_before", None) is None:
        return action_cell(row)
    return format_html('{}<div class="text-muted">{}</div>', action_cell(row),
                       VOLUME_FIXED_SENTENCE)


VOLUME_FIXED_SENTENCE = _("The boot volume is fixed: re-create the server "
                          "from the volume to use it.")


class TestSnapshot(tables.LinkAction):
    name = "test_snapshot"
    verbose_name = _("Test snapshot")
    classes = ("ajax-modal",)
    icon = "camera"
    policy_rules = (("compute", "os_compute_api:servers:create_image"),)

    def get_link_url(self, datum=None):
        return reverse("horizon:project:consistency:test_snapshot",
                       args=(datum.id,))

    def allowed(self, request, row=None):
        try:
            reverse("horizon:project:consistency:test_snapshot",
                    args=("x",))
        except NoReverseMatch:
            return False
        return row is not None and row.status in ("ACTIVE", "SHUTOFF",
                                                  "PAUSED", "SUSPENDED")


class _FixLink(tables.LinkAction):
    option = None
    url = None
    policy_rules = (("compute", "os_compute_api:servers:rebuild"),)

    def get_link_url(self, datum=None):
        return reverse(self.url, args=(datum.id,))

    def allowed(self, request, row=None):
        return row is not None and row.allows(self.option)


class _RebuildLink(_FixLink):
    """A rebuild: offered only for a running or stopped server with no
    task under way."""

    def allowed(self, request, row=None):
        return (super().allowed(request, row) and
                row.status in ("ACTIVE", "SHUTOFF") and not row.task_state)


class RebuildFromImage(_RebuildLink):
    name = "rebuild_from_image"
    verbose_name = _("Rebuild from the image")
    classes = ("ajax-modal", "btn-danger")
    option = paths.FixOption.REBUILD_FROM_IMAGE
    url = "horizon:project:consistency:rebuild_from_image"


class RebuildFromSnapshot(_RebuildLink):
    name = "rebuild_from_snapshot"
    verbose_name = _("Rebuild from its own snapshot")
    option = paths.FixOption.REBUILD_FROM_OWN_SNAPSHOT
    url = "horizon:project:consistency:rebuild_from_snapshot"


class RecreateFromVolume(_FixLink):
    name = "recreate_from_volume"
    verbose_name = _("Fix the boot volume")
    classes = ("ajax-modal",)
    option = paths.FixOption.VOLUME_RECREATE
    url = "horizon:project:consistency:recreate_from_volume"
    policy_rules = (("volume", "volume:update_volume_metadata"),)


class OperatorCommands(_FixLink):
    name = "operator_commands"
    verbose_name = _("Operator commands")
    classes = ("ajax-modal",)
    option = paths.FixOption.OPERATOR_NOVA_MANAGE
    url = "horizon:project:consistency:operator_commands"
    policy_rules = ()

    def allowed(self, request, row=None):
        return request.user.is_superuser and super().allowed(request, row)


class BulkOperatorCommands(tables.Action):
    """The commands for every selected instance, on one page (admin)."""
    name = "bulk_operator_commands"
    verbose_name = _("Operator commands")
    verbose_name_plural = _("Operator commands")
    icon = "terminal"
    requires_input = True

    def allowed(self, request, datum=None):
        return request.user.is_superuser

    def handle(self, data_table, request, object_ids):
        return shortcuts.redirect("%s?%s" % (
            reverse("horizon:project:consistency:operator_commands_bulk"),
            parse.urlencode([("instance_id", i) for i in object_ids])))


class AttentionFilter(image_tables.AttentionToggle):
    tab = TAB
    label_filter = _("Action needed only")
    label_show_all = _("Show all instances")
    keep_params = ("image",)


class InstancesTable(tables.DataTable):
    # Long names are cut to one line; the whole name is the cell's title.
    name = tables.Column("name", verbose_name=_("Instance"),
                         link=detail_url, truncate=22,
                         classes=("consistency-nowrap",))
    status = tables.Column("status", verbose_name=_("Status"))
    boot_source = tables.Column(boot_source_cell,
                                verbose_name=_("Boot source"),
                                classes=("consistency-nowrap",))
    properties = tables.Column(
        properties_cell, verbose_name=_("Captured at boot (→ image now)"),
        classes=("consistency-captured",),
        help_text=_("What Nova uses for this instance; an arrow shows the "
                    "image's value now where it differs."))
    prediction = tables.Column(prediction_cell,
                               verbose_name=_("Snapshot taken now"),
                               classes=("consistency-prediction",))
    action = tables.Column(action_cell, verbose_name=_("Action"),
                           classes=("consistency-action",))

    class Meta(object):
        name = "instances"
        verbose_name = _("Instances")
        multi_select = True
        pagination_param = "instances_marker"
        prev_pagination_param = "instances_prev_marker"
        table_actions = (AttentionFilter, BulkOperatorCommands)
        row_actions = (TestSnapshot, RebuildFromImage, RebuildFromSnapshot,
                       RecreateFromVolume, OperatorCommands)
