"""The Jinja2-drawn selects must be the markup Django's templates would give."""

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


def test_select_with_its_own_option_template_goes_through_templates():
    widget = RadioLikeSelect(choices=[("a", "Alpha")])
    expected = widget.render("f", "a", renderer=DjangoTemplates())
    assert "<label><input" in expected
    assert widget.render("f", "a", renderer=FastSelectRenderer()) == expected


def test_site_forms_use_the_fast_renderer():
    assert isinstance(get_default_renderer(), FastSelectRenderer)
    html = str(IncidentListFilterSet({"country": "fr"}).form["country"])
    assert '<option value="FR" selected>France</option>' in html


def test_country_filter_names_countries_in_the_active_language():
    from django.utils import translation

    with translation.override("fr"):
        html = str(IncidentListFilterSet({"country": "DE"}).form["country"])
    assert '<option value="DE" selected>Allemagne</option>' in html
