from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.choices import Role
from coordination.notifications import delivery, subjects
from coordination.notifications.choices import Channel, Status
from coordination.notifications.forms import PreferencesForm
from coordination.notifications.models import Notification, Preference

PAGE_SIZE = 25


def _inbox(user):
    return Notification.objects.filter(recipient=user, channel=Channel.APP)


def _same_site(request, target, fallback="notifications:inbox"):
    """``target`` if it stays on this site, else ``fallback``: a posted ``next`` or a
    stored link must never send the reader elsewhere."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_GET
def bell(request):
    """The header's bell (htmx fragment, polled): the unread count."""
    unread = _inbox(request.user).filter(read_at__isnull=True).count()
    return render(request, "notifications/_bell.html", {"unread": unread})


@login_required
@require_GET
def inbox(request):
    rows = _inbox(request.user)
    show = request.GET.get("show", "")
    if show == "unread":
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # Rendered when it happened, shown as the reader may see it now.
    page.object_list = subjects.mark_visible(request.user, page.object_list)
    unread = _inbox(request.user).filter(read_at__isnull=True).count()
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "show": show, "unread": unread, "params": f"show={show}" if show else ""},
    )


@login_required
@require_POST
def open_notification(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(_inbox(request.user), pk=pk)
    if notification.read_at is None:
        _inbox(request.user).filter(pk=pk).update(read_at=timezone.now())
    target = notification.link
    if not subjects.mark_visible(request.user, [notification])[0].is_visible:
        messages.info(request, _("You can no longer see what this notification was about."))
        target = ""
    return redirect(_same_site(request, target))


@login_required
@require_POST
def mark_read(request, pk):
    get_object_or_404(_inbox(request.user), pk=pk)
    _inbox(request.user).filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    return redirect(_same_site(request, request.POST.get("next")))


@login_required
@require_POST
def mark_all_read(request):
    count = _inbox(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    current = dict(Preference.objects.filter(user=request.user).values_list("event", "delivery"))
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        for event, choice in form.cleaned_data.items():
            Preference.objects.update_or_create(
                user=request.user, event=event, defaults={"delivery": choice}
            )
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


def _agency_admin(user):
    if not (user.is_superuser or (user.role == Role.AGENCY_ADMIN and user.agency_id)):
        raise PermissionDenied(_("Only agency administrators see failed deliveries."))


def _failed_for(user):
    rows = Notification.objects.filter(channel=Channel.EMAIL, status=Status.FAILED)
    if user.is_superuser:
        return rows
    return rows.filter(Q(agency_id=user.agency_id))


@login_required
@require_GET
def failed(request):
    _agency_admin(request.user)
    page = Paginator(_failed_for(request.user).order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/failed.html", {"page": page})


@login_required
@require_POST
def retry(request, pk):
    _agency_admin(request.user)
    notification = get_object_or_404(_failed_for(request.user), pk=pk)
    if delivery.retry_failed(notification):
        from coordination.notifications.services import queue_delivery

        queue_delivery([notification.pk])
        messages.success(
            request,
            _("The email to %(address)s is queued again.") % {"address": notification.email},
        )
    return redirect("notifications:failed")
