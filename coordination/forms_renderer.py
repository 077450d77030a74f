"""A form renderer that draws ``<select>`` through one Jinja2 template.

Django renders every ``<option>`` through a template include of its own. A country
select holds 250 of them, which made one filter widget the costliest part of the
incident list (bench/README.md). ``templates/jinja2/forms/select.html`` gives the markup
of Django's ``select.html`` and ``select_option.html`` in one Jinja2 template; any other
widget, and any select whose options use another template, goes through the Django
templates as usual.
"""

from django.forms.renderers import DjangoTemplates
from django.template import engines
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
FAST_SELECT_TEMPLATE = "forms/select.html"


def _plain_options(widget):
    return all(
        option["template_name"] == OPTION_TEMPLATE
        for _name, options, _index in widget["optgroups"]
        for option in options
    )


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if template_name == SELECT_TEMPLATE and widget is not None and _plain_options(widget):
            template = engines["jinja2"].env.get_template(FAST_SELECT_TEMPLATE)
            return mark_safe(template.render(widget=widget))  # autoescaped by Jinja2
        return super().render(template_name, context, request)
