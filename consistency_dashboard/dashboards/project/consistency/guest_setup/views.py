"""Downloads of the guest kit: its scripts and the generated cloud-init
user-data.  Pure: no OpenStack call, the text comes from
``consistency_dashboard.guest``."""
from django import http
from django.utils.translation import gettext_lazy as _
from django.views import generic

from consistency_dashboard import guest
from consistency_dashboard.dashboards.project.consistency.guest_setup \
    import forms as guest_forms


def offered_scripts():
    """The scripts the tab offers (the test hook is for test guests only and
    is not served)."""
    return {s.name: s for s in guest.list_scripts()}


def _attachment(text, filename, content_type):
    response = http.HttpResponse(text.encode("utf-8"),
                                 content_type=content_type)
    response["Content-Disposition"] = 'attachment; filename="%s"' % filename
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ScriptDownloadView(generic.View):
    """One script of the kit, byte for byte, named as it must be named in
    ``fsfreeze-hook.d``."""

    def get(self, request, name):
        script = offered_scripts().get(name)
        if script is None:
            raise http.Http404(_("Unknown guest kit script."))
        return _attachment(guest.read_script(script.name), script.filename,
                           "text/x-shellscript; charset=utf-8")


class UserDataDownloadView(generic.View):
    """The generated ``#cloud-config`` for ``?family=...&apps=...``.
    ``?inline=1`` answers the same text without the attachment header (the
    Launch Instance step fetches it)."""

    def get(self, request):
        form = guest_forms.UserDataForm.from_query(request.GET)
        if not form.is_valid():
            return http.HttpResponseBadRequest(
                "Invalid guest family or application hook.\n",
                content_type="text/plain; charset=utf-8")
        family, _apps = form.selection()
        text = form.user_data()
        if request.GET.get("inline") == "1":
            response = http.HttpResponse(
                text.encode("utf-8"), content_type="text/plain; charset=utf-8")
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return _attachment(text, "consistency-user-data-%s.yaml" % family,
                           "text/cloud-config; charset=utf-8")
