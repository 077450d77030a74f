"""What a notification is about, so that it shows only what its reader may see now.

A notification is rendered when its event happens; its reader may lose sight of what it
is about afterwards (an agency removed from a TLP:RED incident). The bell, the list and
the digest therefore ask, when they show rows, whether the reader may still see each
row's subject, found from the row's link: the apps register which of their pages stands
for which model (``register``), so this app still knows no incident or request.
Visibility is the subject model's own ``restrict(user)``: one query per kind of subject
on the page, whatever the number of rows.
"""

from urllib.parse import urlsplit

from django.apps import apps
from django.urls import Resolver404, resolve

# URL name -> (model label, URL keyword argument, model field it matches)
_SUBJECTS = {}


def register(url_name, model_label, kwarg="reference", field=None):
    """Notifications linking to ``url_name`` are about the ``model_label`` row whose
    ``field`` equals the URL's ``kwarg``; shown only while ``restrict(user)`` holds it."""
    _SUBJECTS[url_name] = (model_label, kwarg, field or kwarg)


def subject_of(link):
    """``(model label, field, value)`` of what a link points at, or None (not a subject)."""
    if not link:
        return None
    try:
        match = resolve(urlsplit(link).path)
    except Resolver404:
        return None
    rule = _SUBJECTS.get(match.view_name)
    if rule is None:
        return None
    model_label, kwarg, field = rule
    value = match.kwargs.get(kwarg)
    return (model_label, field, value) if value is not None else None


def mark_visible(user, rows):
    """Set ``is_visible`` on every row: False when ``user`` may no longer see its subject."""
    rows = list(rows)
    wanted = {}
    for row in rows:
        row.subject_key = subject_of(row.link)
        if row.subject_key is not None:
            model_label, field, value = row.subject_key
            wanted.setdefault((model_label, field), set()).add(value)
    visible = set()
    for (model_label, field), values in wanted.items():
        manager = apps.get_model(model_label)._default_manager
        found = manager.restrict(user).filter(**{f"{field}__in": values})
        visible |= {(model_label, field, v) for v in found.values_list(field, flat=True)}
    for row in rows:
        row.is_visible = row.subject_key is None or row.subject_key in visible
    return rows
