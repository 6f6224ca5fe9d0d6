"""The Guest setup tab: the guest kit (probe and application hooks for
qemu-guest-agent's fsfreeze hooks), its downloads and a cloud-init user-data
generator.  Makes no OpenStack call: everything comes from
``consistency_dashboard.guest``."""
import re
from urllib import parse

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from horizon import conf
from horizon import tabs

from consistency_dashboard import guest
from consistency_dashboard.dashboards.project.consistency.guest_setup \
    import forms as guest_forms
from consistency_dashboard.guest import cloud_init

TAB_PARAM = "consistency__guest_setup"

#: The AngularJS module of the Launch Instance step (guest_setup.js); the
#: step exists only where the enabled file lists it in ADD_ANGULAR_MODULES.
LAUNCH_STEP_MODULE = "consistency_dashboard.guest_setup"

PROBE_EXAMPLE = (
    "[  812.004211] CONSISTENCY-PROBE v2 event=freeze seq=3 mono=812.00 "
    "wall=1763790012.41 apps=postgresql:ok,mysql:ok\n"
    "[  813.304100] CONSISTENCY-PROBE v2 event=thaw seq=3 mono=813.21 "
    "wall=1763790013.62 logged=813.30 apps=postgresql:ok,mysql:ok "
    "held=/:1.19 free=/boot/efi stuck=-")

_STRONG = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def _inline(text):
    """Escape first, then the two inline marks the notes use."""
    html = escape(text)
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    return _CODE.sub(r"<code>\1</code>", html)


def markdown_lite(text):
    """Paragraphs and ``- `` lists of a small markdown text as HTML.  Every
    piece of the text is escaped before any tag is added, so the text can
    never inject markup."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        if lines[0].startswith("- "):
            items = []
            for line in lines:
                if line.startswith("- "):
                    items.append(line[2:].strip())
                elif items:
                    items[-1] += " " + line.strip()
            blocks.append("<ul>%s</ul>" % "".join(
                "<li>%s</li>" % _inline(item) for item in items))
        else:
            blocks.append("<p>%s</p>" % _inline(
                " ".join(line.strip() for line in lines)))
    return mark_safe("\n".join(blocks))  # nosec: every text piece escaped


def script_entries():
    entries = []
    for script in guest.list_scripts():
        entries.append({
            "script": script,
            "url": reverse("horizon:project:consistency:guest_script",
                           args=(script.name,)),
            "paths": [(guest_forms.FAMILY_LABELS.get(name, fam.label),
                       script.install_path(name))
                      for name, fam in cloud_init.FAMILIES.items()],
        })
    return entries


def family_entries():
    return [{"family": fam,
             "label": guest_forms.FAMILY_LABELS.get(name, fam.label)}
            for name, fam in cloud_init.FAMILIES.items()]


class GuestSetupTab(tabs.Tab):
    name = _("Guest setup")
    slug = "guest_setup"
    template_name = "consistency_dashboard/project/guest_setup/_tab.html"
    preload = False

    def get_context_data(self, request, **kwargs):
        form = guest_forms.UserDataForm.from_query(request.GET)
        user_data = download_url = None
        family = guest_forms.DEFAULT_FAMILY
        apps = ()
        if form.is_valid():
            family, apps = form.selection()
            user_data = form.user_data()
            query = parse.urlencode(
                [("family", family)] + [("apps", app) for app in apps] +
                [("generate", "1")])
            download_url = "%s?%s" % (
                reverse("horizon:project:consistency:guest_user_data"),
                query)
        index_url = reverse("horizon:project:consistency:index")
        launch_step = LAUNCH_STEP_MODULE in (
            conf.HORIZON_CONFIG["angular_modules"] or ())
        return {
            "scripts": script_entries(),
            "families": family_entries(),
            "form": form,
            "tab_param": TAB_PARAM,
            "generator_url": index_url,
            "selected_family": family,
            "selected_family_label": guest_forms.FAMILY_LABELS.get(family),
            "selected_apps": apps,
            "user_data": user_data,
            "user_data_url": download_url,
            "windows_notes": markdown_lite(guest.windows_notes()),
            "probe_version": guest.PROBE_FORMAT_VERSION,
            "probe_example": PROBE_EXAMPLE,
            "launch_step": launch_step,
        }
