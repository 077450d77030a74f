"""A form renderer that draws widgets through Jinja2 templates.

Django renders every widget, and every ``<option>`` of a select, through Django templates:
a country select holds 250 options, which made one filter widget the costliest part of the
incident list (bench/README.md), and a plain input costs about twice its Jinja2 twin.
Widgets are drawn with Django's own Jinja2 widget templates (``django/forms/jinja2``, the
same markup); ``templates/jinja2/forms/select.html`` draws a select and its options in one
template. A widget with no Jinja2 template (the admin's, a library's) is drawn by Django's
template language as usual.
"""

from functools import cached_property

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist, engines
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
    @cached_property
    def _jinja2(self):
        return Jinja2()

    @cached_property
    def _only_django(self):
        return set()  # template names with no Jinja2 twin, looked up once

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if template_name == SELECT_TEMPLATE and widget is not None and _plain_options(widget):
            template = engines["jinja2"].env.get_template(FAST_SELECT_TEMPLATE)
            return mark_safe(template.render(widget=widget))  # autoescaped by Jinja2
        if template_name not in self._only_django:
            try:
                template = self._jinja2.get_template(template_name)
            except TemplateDoesNotExist:
                self._only_django.add(template_name)
            else:
                return template.render(context, request=request).strip()
        return super().render(template_name, context, request)
