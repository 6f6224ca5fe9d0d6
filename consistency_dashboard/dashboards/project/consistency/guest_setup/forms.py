"""The cloud-init user-data generator's form: a plain GET form (no state, no
OpenStack call), shared by the tab and the download view."""
from django import forms
from django.utils.translation import gettext_lazy as _

from consistency_dashboard import guest
from consistency_dashboard.guest import cloud_init

DEFAULT_FAMILY = "debian"
DEFAULT_APPS = cloud_init.APPS

FAMILY_LABELS = {
    "debian": _("Debian / Ubuntu"),
    "rhel": _("RHEL / Fedora / Rocky / Alma"),
}


def _family_choices():
    return [(name, FAMILY_LABELS.get(name, family.label))
            for name, family in cloud_init.FAMILIES.items()]


def _app_choices():
    return [(s.name, s.title) for s in guest.list_scripts()
            if s.kind == "app"]


class UserDataForm(forms.Form):
    """``family`` and ``apps`` from the query string.  ``generate=1`` marks
    a submitted form, so "no application hook" (probe only) is told apart
    from "not submitted yet" (the defaults)."""
    family = forms.ChoiceField(label=_("Guest family"),
                               choices=_family_choices,
                               initial=DEFAULT_FAMILY,
                               widget=forms.RadioSelect)
    apps = forms.MultipleChoiceField(label=_("Application hooks"),
                                     choices=_app_choices, required=False,
                                     widget=forms.CheckboxSelectMultiple)

    @classmethod
    def from_query(cls, query):
        """A bound form when the generator was submitted, else a form bound
        to the defaults (so the tab always shows a usable user-data)."""
        if query.get("generate") or "family" in query:
            return cls(data={"family": query.get("family", ""),
                             "apps": query.getlist("apps")})
        return cls(data={"family": DEFAULT_FAMILY,
                         "apps": list(DEFAULT_APPS)})

    def selection(self):
        """``(family, apps)`` in the kit's order; only on a valid form."""
        chosen = set(self.cleaned_data["apps"])
        apps = tuple(app for app in DEFAULT_APPS if app in chosen)
        return self.cleaned_data["family"], apps

    def user_data(self):
        family, apps = self.selection()
        return guest.cloud_init_user_data(family=family, apps=apps)
