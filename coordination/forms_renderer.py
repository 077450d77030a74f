"""A form renderer that writes ``<select>`` option lists in Python.

Django renders every ``<option>`` through a template include of its own. A country
select holds 250 of them, which made one filter widget the costliest part of the
incident list (bench/README.md). The markup produced here is byte for byte the one of
Django's ``select.html`` and ``select_option.html``; any other widget, and any select
whose options use another template, goes through the templates as usual.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _text(value):
    """``{{ value|stringformat:'s' }}`` under autoescape."""
    return conditional_escape(value if hasattr(value, "__html__") else str(value))


def render_attrs(attrs):
    """Django's ``attrs.html``: ``False`` drops the attribute, ``True`` leaves it bare."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{_text(value)}"')
    return "".join(parts)


def render_option(option):
    return (
        f'<option value="{_text(option["value"])}"{render_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>\n"
    )


def render_select(widget):
    parts = [f'<select name="{conditional_escape(widget["name"])}"{render_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            parts.append("\n  ")
            parts.append(render_option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")  # the base renderer strips the template's last newline
    return "".join(parts)


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
            return mark_safe(render_select(widget))
        return super().render(template_name, context, request)
