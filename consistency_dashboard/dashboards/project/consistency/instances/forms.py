from django.utils.translation import gettext_lazy as _

from horizon import forms
from horizon import messages

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.api import volumes as volume_calls
from consistency_dashboard.core import fix_eligibility


class _RefusingForm(forms.SelfHandlingForm):
    """A fix form that re-checks, on every request, that the fix still
    applies to the instance as read now (``refusal`` is None when it
    does): opened by URL, from a stale page or a second tab, it refuses
    instead of sending Nova a call it would reject or should not get."""

    def __init__(self, request, *args, **kwargs):
        self.row = kwargs.pop("row")
        self.refusal = kwargs.pop("refusal")
        super().__init__(request, *args, **kwargs)
        if self.refusal:
            for name in list(self.fields):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        if self.refusal:
            raise forms.ValidationError(self.refusal)
        return cleaned


class RebuildFromImageForm(_RefusingForm):
    confirm_name = forms.CharField(
        label=_("Type the instance name to confirm"), max_length=255,
        required=True)

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


class FixBootVolumeForm(_RefusingForm):
    def __init__(self, request, *args, **kwargs):
        self.to_set = kwargs.pop("to_set")
        super().__init__(request, *args, **kwargs)

    def _record_before(self, request, volume):
        """Record on the server what the volume had before the fix: Nova
        keeps that until the server is re-created, and the row must go on
        saying so.  A record already there is older, so it is kept."""
        if self.row.volume_fix_before is not None:
            return True
        before = dict(getattr(volume, "volume_image_metadata", None) or {})
        try:
            api.nova.server_metadata_update(request, self.row.id, {
                fix_eligibility.VOLUME_FIX_KEY:
                    fix_eligibility.encode_volume_fix(before, self.to_set)})
        except Exception as exc:
            _status, why = errors.explain(exc, _("Nova"))
            messages.error(request, _(
                "%(name)s could not be marked as still running with its old "
                "properties (%(why)s), so volume %(volume)s was not changed."
                " If the instance has many metadata items, remove some you "
                "do not need.") % {"name": self.row.name, "why": why,
                                   "volume": volume.name or volume.id})
            return False
        return True

    def handle(self, request, data):
        volume = self.row.volume
        if not self._record_before(request, volume):
            return True
        try:
            volume_calls.volume_set_image_metadata(request, volume.id,
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
