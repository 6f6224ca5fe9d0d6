from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from horizon import forms
from horizon import messages

from openstack_dashboard import api

from consistency_dashboard.api import errors
from consistency_dashboard.core import verdict as core_verdict
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import rows
from consistency_dashboard.dashboards.project.consistency.test_snapshots \
    import start as start_mod
from consistency_dashboard.dashboards.translation import core_text


class TestSnapshotForm(forms.SelfHandlingForm):
    name = forms.CharField(label=_("Test snapshot name"), max_length=255,
                           required=True)

    def __init__(self, request, *args, **kwargs):
        self.row = kwargs.pop("row")
        super().__init__(request, *args, **kwargs)

    def handle(self, request, data):
        started = start_mod.start(request, self.row, data["name"])
        if started.console_error:
            messages.warning(request, _(
                "The console log of %(instance)s cannot be read "
                "(%(why)s): the guest's own report will be missing from "
                "the verdict.") % {"instance": self.row.name,
                                   "why": started.console_error})
        if started.prune_error:
            messages.warning(request, _(
                "Older test records on %(instance)s could not be removed "
                "(%(why)s).") % {"instance": self.row.name,
                                 "why": started.prune_error})
        if not started.started:
            messages.error(request, _(
                "The test snapshot of %(instance)s was not started: its "
                "record could not be written on the instance (%(why)s). "
                "Nothing was created.") % {"instance": self.row.name,
                                           "why": started.record_error})
            return True
        if started.refused:
            verdict = started.verdict
            messages.error(request, _(
                "Nova refused the test snapshot of %(instance)s: "
                "%(cause)s Next step: %(step)s This was not a test: nothing "
                "was created and nothing is listed.") % {
                    "instance": self.row.name,
                    "cause": core_text(verdict.cause),
                    "step": core_text(verdict.next_step)})
            if started.cleanup_error:
                messages.warning(request, _(
                    "The request's record could not be removed from "
                    "%(instance)s (%(why)s): remove its metadata key "
                    "%(key)s there.") % {"instance": self.row.name,
                                         "why": started.cleanup_error,
                                         "key": started.record.key})
            return True
        if not started.accepted:
            verdict = started.verdict
            kept = (_("The request is recorded on the instance and listed "
                      "on the Test snapshots tab: if Nova made the image "
                      "after all, its row follows it.")
                    if started.record_error is None else
                    _("The request could not be recorded on the instance "
                      "(%s).") % started.record_error)
            messages.error(request, _(
                "Test snapshot of %(instance)s: %(cause)s Next step: "
                "%(step)s %(kept)s") % {
                    "instance": self.row.name,
                    "cause": core_text(verdict.cause),
                    "step": core_text(verdict.next_step), "kept": kept})
            return True
        messages.success(request, _(
            "Test snapshot %(name)s of %(instance)s requested (image "
            "%(image)s): its row on the Test snapshots tab updates itself "
            "while Nova works.") % {"name": data["name"],
                                    "instance": self.row.name,
                                    "image": started.image_id})
        if started.pruned:
            messages.info(request, ngettext(
                "%(count)d older settled test record was removed from "
                "%(instance)s's metadata (its verdict stays on its image, "
                "if it has one).",
                "%(count)d older settled test records were removed from "
                "%(instance)s's metadata (their verdicts stay on their "
                "images, where they have one).", len(started.pruned)) % {
                    "count": len(started.pruned),
                    "instance": self.row.name})
        if started.record_error:
            messages.warning(request, _(
                "The answer could not be recorded on the instance "
                "(%s): the image carries its own record, but if Nova "
                "deletes it because the snapshot failed, only the open Test "
                "snapshots tab shows the failure.") % started.record_error)
        return True


class KeepAsBackupForm(forms.SelfHandlingForm):
    # Horizon's themable checkbox hides the real input, so the browser's
    # own "required" check had nothing to point at and the submit silently
    # did nothing: the server says it instead, in the modal.
    use_required_attribute = False
    understood = forms.BooleanField(
        label=_("I understand: this dashboard will never touch this image "
                "again (no delete, no verdict update)"), required=True,
        error_messages={"required": _(
            "Tick this box to keep the image: this dashboard will then "
            "never delete or change it again.")})

    def __init__(self, request, *args, **kwargs):
        self.row = kwargs.pop("row")
        super().__init__(request, *args, **kwargs)

    def handle(self, request, data):
        row = self.row
        # Read again right before writing: another tab may have deleted it
        # or kept it since the modal opened.
        _image, why = rows.reread_own_test_snapshot(
            request, row.image_id, row.instance_id, row.name,
            _("Nothing was changed."))
        if why:
            messages.error(request, why)
            return True
        try:
            api.glance.image_update_properties(
                request, row.image_id,
                remove_props=[core_verdict.TEST_SNAPSHOT_MARKER])
        except Exception as exc:
            _status, why = errors.explain(exc, _("Glance"))
            messages.error(request, _(
                "Test snapshot %(name)s was not kept as a backup: %(why)s. "
                "Nothing was changed.") % {"name": row.name, "why": why})
            return True
        removed = True
        if row.record is not None and row.server is not None:
            try:
                api.nova.server_metadata_delete(request, row.instance_id,
                                                [row.record.key])
            except Exception as exc:
                removed = False
                _status, why = errors.explain(exc, _("Nova"))
                messages.warning(request, _(
                    "Its record on instance %(instance)s was not removed "
                    "(%(why)s): remove the metadata key %(key)s there.") % {
                        "instance": row.instance_name, "why": why,
                        "key": row.record.key})
        messages.success(request, _(
            "%(name)s is now a regular snapshot image: the test snapshot "
            "marker was removed%(record)s; its verdict properties stay on "
            "the image.") % {
                "name": row.name,
                "record": _(" and its record on the instance deleted")
                if removed and row.record is not None else ""})
        return True
