"""What the tables of every tab of the panel share: the panel's URL with a
tab named, the link to the Images tab showing one image, the outcome badge,
a boolean property cell, and the needs-attention toggle."""
from urllib import parse

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from horizon import tables

from consistency_dashboard.dashboards.translation import core_text

INDEX_URL = "horizon:project:consistency:index"


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


def badge_html(label, attention, headline=""):
    """The outcome badge and, under it, at most one short line saying what
    differs from the good posture for this row."""
    badge = ("consistency-badge-attention" if attention
             else "consistency-badge-ok")
    label, headline = core_text(label), core_text(headline)
    if not headline:
        return format_html('<span class="label {}">{}</span>', badge, label)
    return format_html(
        '<span class="label {}">{}</span>'
        '<div class="consistency-headline">{}</div>', badge, label, headline)


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
