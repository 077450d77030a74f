"""The accessibility statement that Directive (EU) 2016/2102 Art. 7 asks of public bodies."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def statement(request):
    return render(
        request,
        "accessibility.html",
        {"contact": settings.ACCESSIBILITY_CONTACT_EMAIL},
    )
