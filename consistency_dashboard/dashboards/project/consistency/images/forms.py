"""The fix form: the selected images with what the fix would set on each,
checked again on submit; the properties are set through Horizon's
``api.glance.image_update_properties``, one image at a time, each failure
said with its reason."""

import dataclasses

from django.utils.translation import gettext_lazy as _

from horizon import exceptions
from horizon import forms
from horizon import messages

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.dashboards.project.consistency.images \
    import rows as image_rows
from consistency_dashboard.dashboards.project.consistency.images \
    import tabs as image_tabs


def list_images_by_id(request, image_ids):
    """The images with these ids, in one Glance call (``id=in:``)."""
    if not image_ids:
        return {}
    images, _more, _prev = api.glance.image_list_detailed(
        request, filters={"id": "in:" + ",".join(image_ids),
                          "visibility": "all"})
    # An admin's list holds other projects' private images: not found here.
    return {image.id: image for image in
            image_rows.usable_by_project(request, images)}


@dataclasses.dataclass
class SelectedImage:
    id: str
    name: str
    found: bool
    row: object = None
    plan: object = None
    instance_count: object = None

    @property
    def will_change(self):
        return bool(self.found and self.row.can_modify and
                    self.plan.applicable)

    @property
    def why_not(self):
        if not self.found:
            return _("not found: it was deleted or is not visible to this "
                     "project")
        if not self.row.can_modify:
            return self.row.change_reason
        if not self.plan.applicable:
            return self.plan.reason
        return None

    @property
    def sets(self):
        """``name=value`` of the properties the fix sets."""
        if not self.will_change:
            return ""
        return ", ".join("%s=%s" % kv for kv in
                         sorted(self.plan.set_properties.items()))

    @property
    def removes(self):
        """The names of the properties the fix removes."""
        if not self.will_change:
            return ""
        return ", ".join(self.plan.remove_properties)

    @property
    def changes(self):
        """What changed, in words: "set a=yes; removed b"."""
        parts = []
        if self.sets:
            parts.append(str(_("set %s") % self.sets))
        if self.removes:
            parts.append(str(_("removed %s") % self.removes))
        return "; ".join(parts)


def preview(request, fix, image_ids):
    """What the fix would do to each selected image: two API calls (one
    image list, one server list), whatever the number of images."""
    try:
        found = list_images_by_id(request, image_ids)
    except Exception:
        exceptions.handle(request, _("Unable to read the selected images "
                                     "from Glance; nothing was changed."),
                          details="")
        return []
    servers = image_tabs.project_servers(request) if found else []
    counts = (image_rows.count_instances_by_image(servers)
              if servers is not None else {})
    policy_allows = image_rows.may_modify_images(request)
    selection = []
    for image_id in image_ids:
        image = found.get(image_id)
        if image is None:
            selection.append(SelectedImage(image_id, image_id, False))
            continue
        count = counts.get(image_id, 0) if servers is not None else "?"
        row = image_rows.ImageRow(image, request, policy_allows, count)
        selection.append(SelectedImage(image_id, row.name, True, row,
                                       row.plan(fix), count))
    return selection


class ApplyFixForm(forms.SelfHandlingForm):
    fix = forms.CharField(widget=forms.HiddenInput())
    image_ids = forms.CharField(widget=forms.HiddenInput())

    def __init__(self, request, *args, **kwargs):
        self.fix_kind = kwargs.pop("fix")
        super().__init__(request, *args, **kwargs)

    def clean_image_ids(self):
        ids = [i.strip() for i in self.cleaned_data["image_ids"].split(",")
               if i.strip()]
        if not ids:
            raise forms.ValidationError(_("No image selected."))
        return list(dict.fromkeys(ids))

    def handle(self, request, data):
        # Re-read the images now: the confirmation may be stale.
        selection = preview(request, self.fix_kind, data["image_ids"])
        if not selection:
            return True
        changed, unchanged, failed, unconfirmed = [], [], [], []
        gone_away = None
        for item in selection:
            if not item.will_change:
                unchanged.append("%s (%s)" % (item.name, item.why_not))
                continue
            if gone_away is not None:
                # Glance stopped answering: the rest is not sent at all.
                failed.append("%s (%s)" % (item.name, gone_away))
                continue
            try:
                api.glance.image_update_properties(
                    request, item.id,
                    list(item.plan.remove_properties) or None,
                    **item.plan.set_properties)
            except Exception as exc:
                status, why = errors.explain(exc, _("Glance"))
                if status == "unreachable":
                    # The update is a PATCH and a read of the image: the
                    # PATCH may have landed before Glance went away (seen on
                    # the real cloud with Glance stopped mid-way).
                    unconfirmed.append("%s (%s)" % (item.name, why))
                    gone_away = _("not tried: Glance stopped answering")
                else:
                    failed.append("%s (%s)" % (item.name, why))
            else:
                changed.append("%s (%s)" % (item.name, item.changes))
        if changed:
            messages.success(request, _("Changed %(count)d image(s): "
                                        "%(list)s.") % {
                "count": len(changed), "list": "; ".join(changed)})
        if unchanged:
            messages.info(request, _("Not changed: %s.") %
                          "; ".join(unchanged))
        if unconfirmed:
            messages.warning(request, _(
                "Not confirmed, perhaps changed: %s. Look at the image "
                "again once Glance answers.") % "; ".join(unconfirmed))
        if failed:
            messages.error(request, _("Failed, not changed: %s.") %
                           "; ".join(failed))
        return True
