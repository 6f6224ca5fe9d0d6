from urllib import parse

from django import shortcuts
from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from horizon import messages
from horizon import tables

from consistency_dashboard.core import posture as core_posture
from consistency_dashboard.dashboards.project.consistency import image_rows

INDEX_URL = "horizon:project:consistency:index"
FIX_URL = "horizon:project:consistency:fix"
IMAGE_DETAIL_URL = "horizon:project:consistency:image_detail"


def boolean_cell(boolean):
    """Raw value beside what Nova reads, when they differ."""
    if not boolean.present:
        return format_html('<span class="text-muted">{}</span>',
                           _("not set (false)"))
    parsed = _("true") if boolean.value else _("false")
    if boolean.spelling.value == "unparseable":
        return format_html(
            '<code class="consistency-raw">{}</code> '
            '<span class="label label-warning" title="{}">{}</span>',
            str(boolean.raw),
            _("Not a boolean Nova understands; Nova reads it as false."),
            _("unparseable: false"))
    if boolean.raw_differs:
        return format_html('<code class="consistency-raw">{}</code> &rarr; {}',
                           str(boolean.raw), parsed)
    return format_html('{}', parsed)


def properties_cell(row):
    """The image's snapshot properties, one labelled line each, raw beside
    what Nova reads; hw_require_fsfreeze only when present, marked as having
    no effect (why: the legend above the table and the detail page)."""
    lines = [("hw_qemu_guest_agent", boolean_cell(row.guest_agent)),
             ("os_require_quiesce", boolean_cell(row.require_quiesce))]
    if row.dead_fsfreeze is not None:
        lines.append(("hw_require_fsfreeze", format_html(
            '<code class="consistency-raw consistency-dead">{}</code> '
            '<span class="label label-default">{}</span>',
            str(row.dead_fsfreeze), _("no effect in Nova"))))
    return format_html_join(
        "", '<div class="consistency-prop"><span class="consistency-prop-'
        'name">{}:</span>&nbsp;{}</div>', lines)


def badge_html(label, attention, headline=""):
    """The outcome badge and, under it, at most one short line saying what
    differs from the good posture for this row."""
    badge = ("consistency-badge-attention" if attention
             else "consistency-badge-ok")
    if not headline:
        return format_html('<span class="label {}">{}</span>', badge, label)
    return format_html(
        '<span class="label {}">{}</span>'
        '<div class="consistency-headline">{}</div>', badge, label, headline)


def posture_cell(row):
    if not row.boots_instances:
        # The sentence why (image_rows.NOT_BOOTED_REASON) is on the detail
        # page.
        return badge_html(_("not booted from"), False,
                          _("kernel or ramdisk image"))
    return badge_html(row.posture.label, row.needs_attention,
                      row.posture.headline)


def attention_cell(row):
    if not row.needs_attention:
        return _("No")
    return format_html_join("", '<div class="text-danger">{}</div>',
                            ((a,) for a in row.posture.attention))


def image_detail_url(row):
    return reverse(IMAGE_DETAIL_URL, args=(row.id,))


def tab_url(slug="images"):
    """The panel with one tab named: the tab group is sticky (Horizon
    remembers the last tab in a cookie and shows it unless the URL names
    one), so every redirect names the tab it returns to."""
    return "%s?tab=consistency__%s" % (reverse(INDEX_URL), slug)


# Images tab query parameter: list this one image (links from instances).
ONE_IMAGE_PARAM = "image_id"


def image_url(image_id):
    """The Images tab showing one image."""
    return "%s?%s" % (reverse(INDEX_URL), parse.urlencode(
        {"tab": "consistency__images", ONE_IMAGE_PARAM: image_id}))


def instances_cell(row):
    url = "%s?%s" % (reverse(INDEX_URL), parse.urlencode(
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
        "verbose_name": core_posture.FIX_LABELS[fix],
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
            return shortcuts.redirect(tab_url())
        query = parse.urlencode([("image_id", i) for i in object_ids])
        return shortcuts.redirect("%s?%s" % (
            reverse(FIX_URL, args=(self.fix.value,)), query))


def _bulk_action(fix):
    return type("BulkFix_%s" % fix.value, (BulkFix,), {
        "name": "bulk_%s" % fix.value,
        "verbose_name": core_posture.FIX_LABELS[fix],
        "verbose_name_plural": core_posture.FIX_LABELS[fix],
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


class AttentionToggle(tables.LinkAction):
    """Toggle a tab between all rows and the ones that need attention
    (``?attention=1``), keeping the tab's other filters."""
    name = "attention"
    icon = "filter"
    verbose_name = _("Needs attention only")
    tab = None
    label_filter = None      # what a click does while showing everything
    label_show_all = None    # what a click does while filtered
    keep_params = ()

    def get_link_url(self, datum=None):
        request = self.table.request
        query = {"tab": self.tab}
        for param in self.keep_params:
            if request.GET.get(param):
                query[param] = request.GET[param]
        if request.GET.get("attention") != "1":
            query["attention"] = "1"
        return "%s?%s" % (reverse(INDEX_URL), parse.urlencode(query))

    def allowed(self, request, datum=None):
        # The label says what a click does next.
        filtered = request.GET.get("attention") == "1"
        self.verbose_name = (self.label_show_all if filtered
                             else self.label_filter)
        return True


class AttentionFilter(AttentionToggle):
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
