"""The Jinja2 environment of the hot page fragments (``templates/jinja2/``).

Fragments drawn many times a page (incident rows, timeline entries, select options)
are Jinja2 templates: the Django template language costs about ten times more per row.
Autoescaping is on; values marked safe by Django (``__html__``) pass through unescaped.
"""

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment

from accounts.choices import stored_country_codes
from incidents.templatetags import concord_tags


def url(name, *args, **kwargs):
    return reverse(name, args=args or None, kwargs=kwargs or None)


def environment(**options):
    env = Environment(**options)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(
        url=url,
        static=static,
        pgettext=pgettext,
        stored_country_codes=stored_country_codes,
    )
    env.filters.update(
        tlp_label=concord_tags.tlp_label,
        status_badge=concord_tags.status_badge,
        severity_badge=concord_tags.severity_badge,
        role_badge=concord_tags.role_badge,
        category_label=concord_tags.category_label,
        tlp_meaning=concord_tags.tlp_meaning,
        country=concord_tags.country,
        when=concord_tags.when,
    )
    return env
