"""Pages of deadline escalation: a request's escalation panel and the delay notice form."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from coordination.assistance import delays
from coordination.assistance.choices import EscalationLevel
from coordination.assistance.escalation import level_reached
from coordination.assistance.views import visible_request
from incidents.forms import DATETIME_LOCAL, DateTimeLocalInput, apply_validation_error


class DelayNoticeForm(forms.Form):
    reasons = forms.CharField(
        label=gettext_lazy("Reasons for the delay"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=5000,
    )
    new_estimate = forms.DateTimeField(
        label=gettext_lazy("New estimate"),
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=gettext_lazy("When you now expect to meet the deadline, in your time zone."),
    )


@login_required
@require_GET
def escalation_panel(request, reference):
    """The request page's escalation panel (loaded by htmx): level, history, delay notices."""
    obj = visible_request(request, reference)
    now = timezone.now()
    running = [row for row in obj.clocks.all() if row.state == "running"]
    reached = [(row, level_reached(row, now)) for row in running]
    context = {
        "req": obj,
        "running": running,
        "reached": [(row, level) for row, level in reached if level is not None],
        "levels": EscalationLevel,
        "escalations": list(obj.escalations.all()),
        "notices": list(obj.delay_notices.select_related("agency")),
        "may_announce_delay": delays.refusal(obj, request.user, now) is None,
    }
    return render(request, "assistance/_escalation_panel.html", context)


@login_required
def delay_notice(request, reference):
    obj = visible_request(request, reference, "incident")
    refusal = delays.refusal(obj, request.user)
    if refusal:
        raise PermissionDenied(refusal)
    if request.method == "POST":
        form = DelayNoticeForm(request.POST)
        if form.is_valid():
            try:
                delays.send_delay_notice(
                    obj,
                    request.user,
                    reasons=form.cleaned_data["reasons"],
                    new_estimate=form.cleaned_data["new_estimate"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Delay notice sent to %(agency)s.") % {"agency": obj.requesting_agency},
                )
                return redirect(obj)
        status = 400
    else:
        form = DelayNoticeForm(initial=delays.prefill(obj))
        status = 200
    context = {"req": obj, "form": form, "late": delays.late_deadline(obj)}
    return render(request, "assistance/delay_notice.html", context, status=status)
