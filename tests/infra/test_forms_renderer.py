"""The Jinja2-drawn widgets must be the markup Django's templates would give."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django_countries import countries

from coordination.forms_renderer import FastSelectRenderer
from incidents.forms import IncidentListFilterSet


class RadioLikeSelect(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"


WIDGETS = {
    "plain": (forms.Select(choices=[("", "---"), ("a", "Alpha"), ("b", "Beta")]), "b"),
    "nothing chosen": (forms.Select(choices=[("a", "Alpha")]), None),
    "escaped": (
        forms.Select(
            attrs={"data-x": '"<quoted>"', "class": "adapts"},
            choices=[("<&>", 'O\'Brien & "Sons" <b>'), (3, 4)],
        ),
        "<&>",
    ),
    "boolean attributes": (
        forms.Select(
            attrs={"required": True, "disabled": False, "autofocus": True}, choices=[(1, "One")]
        ),
        1,
    ),
    "safe label": (forms.Select(choices=[("s", mark_safe("<em>safe</em>"))]), "s"),
    "optgroups": (
        forms.Select(
            choices=[("", "any"), ("Europe", [("fr", "France"), ("de", "Germany")]), ("x", "X")]
        ),
        "de",
    ),
    "multiple": (forms.SelectMultiple(choices=[("a", "A"), ("b", "B"), ("c", "C")]), ["a", "c"]),
    "null boolean": (forms.NullBooleanSelect(), True),
    "countries": (forms.Select(choices=list(countries)), "FR"),
}


@pytest.mark.parametrize("case", sorted(WIDGETS))
def test_fast_select_matches_django_templates(case):
    widget, value = WIDGETS[case]
    expected = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
    fast = widget.render("field", value, attrs={"id": "id_field"}, renderer=FastSelectRenderer())
    assert _same_entities(fast) == expected


def _same_entities(html):
    """Jinja2 writes ``&#34;`` and ``&#39;`` where Django writes ``&quot;`` and ``&#x27;``."""
    return html.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")


def _spaced(html):
    """Django's Jinja2 widget templates leave other blank space between tags than its Django
    templates (none that a browser shows)."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html))


def test_select_with_its_own_option_template_goes_through_its_templates():
    widget = RadioLikeSelect(choices=[("a", "Alpha")])
    expected = widget.render("f", "a", renderer=DjangoTemplates())
    assert "<label><input" in expected
    assert _spaced(widget.render("f", "a", renderer=FastSelectRenderer())) == _spaced(expected)


@pytest.mark.parametrize(
    "widget",
    [
        forms.TextInput(attrs={"placeholder": 'a "b" <c>'}),
        forms.Textarea(attrs={"rows": 4}),
        forms.CheckboxInput(),
        forms.CheckboxSelectMultiple(choices=[("a", "A"), ("b", "B")]),
        forms.ClearableFileInput(),
        forms.DateTimeInput(attrs={"type": "datetime-local"}),
    ],
    ids=lambda widget: type(widget).__name__,
)
def test_other_widgets_drawn_by_jinja2_give_djangos_markup(widget):
    expected = widget.render("f", None, attrs={"id": "id_f"}, renderer=DjangoTemplates())
    drawn = widget.render("f", None, attrs={"id": "id_f"}, renderer=FastSelectRenderer())
    assert _spaced(_same_entities(drawn)) == _spaced(expected)


def test_a_widget_without_a_jinja2_template_is_drawn_by_django_templates():
    from django.contrib.admin.widgets import AdminDateWidget

    widget = AdminDateWidget()
    drawn = widget.render("d", None, renderer=FastSelectRenderer())
    assert 'class="vDateField"' in drawn
    assert drawn == widget.render("d", None, renderer=DjangoTemplates())


def test_site_forms_use_the_fast_renderer():
    assert isinstance(get_default_renderer(), FastSelectRenderer)
    html = str(IncidentListFilterSet({"country": "fr"}).form["country"])
    assert '<option value="FR" selected>France</option>' in html


def test_country_filter_names_countries_in_the_active_language():
    from django.utils import translation

    with translation.override("fr"):
        html = str(IncidentListFilterSet({"country": "DE"}).form["country"])
    assert '<option value="DE" selected>Allemagne</option>' in html
