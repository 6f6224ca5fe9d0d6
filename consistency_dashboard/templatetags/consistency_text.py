"""``{{ reason|core_text }}``: a core label or sentence in the user's
language (see consistency_dashboard.dashboards.translation)."""

from django import template

from consistency_dashboard.dashboards import translation

register = template.Library()


@register.filter
def core_text(value):
    return translation.core_text(value)
