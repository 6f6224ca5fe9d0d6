from django.utils.translation import gettext_lazy as _

from horizon import forms
from horizon import messages

from openstack_dashboard import api

from consistency_dashboard.api import cinder_rest
from consistency_dashboard.api import errors


class RebuildFromImageForm(forms.SelfHandlingForm):
    confirm_name = forms.CharField(
        label=_("Type the instance name to confirm"), max_length=255,
        required=True)

    def __init__(self, request, *args, **kwargs):
        self.row = kwargs.pop("row")
        super().__init__(request, *args, **kwargs)

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"]
        if typed != self.row.name:
            raise forms.ValidationError(
                _("That is not this instance's name: nothing was rebuilt."))
        return typed

    def handle(self, request, data):
        try:
            api.nova.server_rebuild(request, self.row.id, self.row.image_id)
        except Exception as exc:
            _status, why = errors.explain(exc, _("Nova"))
            messages.error(request, _("Rebuild of %(name)s was not started: "
                                      "%(why)s. Nothing was changed.") %
                           {"name": self.row.name, "why": why})
            return True
        messages.success(request, _("Rebuild of %(name)s from image "
                                    "%(image)s started: its root disk is "
                                    "being replaced.") %
                         {"name": self.row.name, "image": self.row.image_name})
        return True


class FixBootVolumeForm(forms.SelfHandlingForm):
    def __init__(self, request, *args, **kwargs):
        self.row = kwargs.pop("row")
        self.to_set = kwargs.pop("to_set")
        super().__init__(request, *args, **kwargs)

    def handle(self, request, data):
        volume = self.row.volume
        if volume is None:
            messages.error(request, _("The boot volume of %s was not found: "
                                      "nothing was changed.") % self.row.name)
            return True
        try:
            cinder_rest.volume_set_image_metadata(request, volume.id,
                                                  self.to_set)
        except Exception as exc:
            _status, why = errors.explain(exc, _("Cinder"))
            messages.error(request, _("The image metadata of volume "
                                      "%(volume)s was not changed: %(why)s.")
                           % {"volume": volume.name or volume.id, "why": why})
            return True
        messages.success(request, _(
            "Volume %(volume)s now has %(props)s in its image metadata. "
            "%(name)s keeps its boot-time properties until it is re-created "
            "from the volume: follow the steps shown.") % {
                "volume": volume.name or volume.id,
                "props": ", ".join("%s=%s" % kv for kv in
                                   sorted(self.to_set.items())),
                "name": self.row.name})
        return True
