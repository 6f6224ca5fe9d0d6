"""The Images table: one row per Glance image (rows.py), its properties
raw beside what Nova reads, the best live snapshot it allows, and the fix
actions (one image, or the selection) that lead to the fix view
(views.py)."""
from urllib import parse

from django import shortcuts
from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from horizon import messages
from horizon import tables

from consistency_dashboard.core import posture as core_posture
from consistency_dashboard.dashboards.project.consistency import \
    tables as panel_tables
from consistency_dashboard.dashboards.translation import core_text_lazy

FIX_URL = "horizon:project:consistency:fix"
IMAGE_DETAIL_URL = "horizon:project:consistency:image_detail"


def properties_cell(row):
    """The image's snapshot properties, one labelled line each, raw beside
    what Nova reads; hw_require_fsfreeze only when present, marked as having
    no effect (why: the legend above the table and the detail page)."""
    lines = [("hw_qemu_guest_agent",
              panel_tables.boolean_cell(row.guest_agent)),
             ("os_require_quiesce",
              panel_tables.boolean_cell(row.require_quiesce))]
    if row.dead_fsfreeze is not None:
        lines.append(("hw_require_fsfreeze", format_html(
            '<code class="consistency-raw consistency-dead">{}</code> '
            '<span class="label label-default">{}</span>',
            str(row.dead_fsfreeze), _("no effect in Nova"))))
    return format_html_join(
        "", '<div class="consistency-prop"><span class="consistency-prop-'
        'name">{}:</span>&nbsp;{}</div>', lines)


def posture_cell(row):
    if not row.boots_instances:
        # The sentence why (rows.NOT_BOOTED_REASON) is on the detail
        # page.
        return panel_tables.badge_html(_("not booted from"), False,
                                       _("kernel or ramdisk image"))
    return panel_tables.badge_html(row.posture.label, row.needs_attention,
                                   row.posture.headline)


def image_detail_url(row):
    return reverse(IMAGE_DETAIL_URL, args=(row.id,))


def instances_cell(row):
    url = "%s?%s" % (reverse(panel_tables.INDEX_URL), parse.urlencode(
        {"tab": "consistency__instances", "image": row.id}))
    return format_html('<a href="{}">{}</a>', url, row.instance_count)


def visibility_cell(row):
    if row.is_owner:
        return _("Own (%s)") % row.visibility
    return row.visibility or "-"


class FixImage(tables.LinkAction):
    """One-click fix on one image, through a confirmation."""
    fix = None
    classes = ("ajax-modal",)
    policy_rules = (("image", "modify_image"),)

    def get_link_url(self, datum=None):
        return "%s?%s" % (reverse(FIX_URL, args=(self.fix.value,)),
                          parse.urlencode({"image_id": datum.id}))

    def allowed(self, request, row=None):
        if row is None:
            return False
        return row.can_modify and row.plan(self.fix).applicable


def _fix_action(fix):
    return type("Fix_%s" % fix.value, (FixImage,), {
        "name": "fix_%s" % fix.value,
        "verbose_name": core_text_lazy(core_posture.FIX_LABELS[fix]),
        "fix": fix,
        "icon": "wrench",
    })


class BulkFix(tables.Action):
    """The same fix on the selected images: goes to the confirmation page
    with the selection (nothing changes before the user confirms)."""
    fix = None
    requires_input = True
    policy_rules = (("image", "modify_image"),)

    def handle(self, data_table, request, object_ids):
        if not object_ids:
            messages.info(request, _("Select one or more images first."))
            return shortcuts.redirect(panel_tables.tab_url())
        query = parse.urlencode([("image_id", i) for i in object_ids])
        return shortcuts.redirect("%s?%s" % (
            reverse(FIX_URL, args=(self.fix.value,)), query))


def _bulk_action(fix):
    return type("BulkFix_%s" % fix.value, (BulkFix,), {
        "name": "bulk_%s" % fix.value,
        "verbose_name": core_text_lazy(core_posture.FIX_LABELS[fix]),
        "verbose_name_plural": core_text_lazy(
            core_posture.FIX_LABELS[fix]),
        "fix": fix,
        "icon": "wrench",
    })


# The complete fix first: it is the one most rows need.
FIX_ORDER = (core_posture.Fix.MAKE_CONSISTENT, core_posture.Fix.ENABLE_AGENT,
             core_posture.Fix.REQUIRE_QUIESCE,
             core_posture.Fix.REMOVE_DEAD_FSFREEZE)
FIX_ROW_ACTIONS = tuple(_fix_action(f) for f in FIX_ORDER)
FIX_BULK_ACTIONS = tuple(_bulk_action(f) for f in FIX_ORDER)


class ImageNameFilter(tables.FilterAction):
    filter_type = "server"
    filter_choices = (("name", _("Image Name ="), True),)


class AttentionFilter(panel_tables.AttentionToggle):
    tab = "consistency__images"
    label_filter = _("Needs attention only")
    label_show_all = _("Show all images")


class ImagesTable(tables.DataTable):
    name = tables.WrappingColumn("name", verbose_name=_("Image"),
                                 link=image_detail_url)
    visibility = tables.Column(visibility_cell, verbose_name=_("Visibility"))
    properties = tables.Column(properties_cell,
                               verbose_name=_("Image properties"))
    posture = tables.Column(posture_cell,
                            verbose_name=_("Best live snapshot"))
    instances = tables.Column(instances_cell, verbose_name=_("Instances"),
                              classes=("consistency-instances",),
                              help_text=_("Instances of this project booted "
                                          "from the image"))
    # The whole sentence is the cell's tooltip and on the detail page.
    can_change = tables.Column("can_change", verbose_name=_("Can change"),
                               truncate=32)

    class Meta(object):
        name = "images"
        verbose_name = _("Images")
        multi_select = True
        pagination_param = "images_marker"
        prev_pagination_param = "images_prev_marker"
        # One bulk fix on the toolbar, the others in its menu, as Horizon's
        # own Instances table does with table_actions_menu.
        table_actions = ((ImageNameFilter, AttentionFilter) +
                         FIX_BULK_ACTIONS[:1])
        table_actions_menu = FIX_BULK_ACTIONS[1:]
        row_actions = FIX_ROW_ACTIONS
