"""Accounts pages: agency directory, own profile, agency user management.

Sign-in, sign-out and the password pages are Django's auth views configured in
``accounts/urls.py``; the password reset ones are extended here, and the password
change and reset views tell the user model who is changing the password, for the
audit trail.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_countries import countries

from accounts import actions, throttle
from accounts.forms import (
    AgencyUserFilterForm,
    AgencyUserForm,
    DirectoryFilterForm,
    ProfileForm,
    ThrottledPasswordChangeForm,
)
from accounts.models import Agency
from coordination.audit import record
from coordination.audit.choices import AuditAction

DIRECTORY_PAGE_SIZE = 25
USERS_PAGE_SIZE = 25
TOKENS_LISTED = 50


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link: the same answer, in the same time, for any address.

    A client asking more than ``RESET_PER_CLIENT`` times an hour is told to wait; an
    address asked for more than ``RESET_PER_EMAIL`` times an hour gets no more email,
    and the page does not say so.
    """

    def form_valid(self, form):
        address = throttle.throttle_address(self.request) or ""
        if (
            throttle.count_hit(f"password-reset:client:{address}", throttle.RESET_WINDOW)
            > throttle.RESET_PER_CLIENT
        ):
            form.add_error(None, _("Too many reset requests from your network. Try again later."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        form.save(request=self.request)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        form.user.audit_request = self.request
        with transaction.atomic():
            response = super().form_valid(form)
            # The owner of the mailbox chose a new password: failed guesses at the old
            # one no longer hold their sign-in.
            throttle.unlock(form.user.get_username())
            record(
                AuditAction.PASSWORD_RESET_DONE,
                request=self.request,
                actor=form.user,
                target=form.user,
            )
        return response


def _paginate(request, queryset, per_page):
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    # The filters without the page number, for the pagination links.
    params = QueryDict(mutable=True)
    params.update(request.GET)
    params.pop("page", None)
    return page, params.urlencode()


@login_required
def directory(request):
    """Every listed agency (this node's and its peers'), grouped by country (sorted by the
    country's name)."""
    agencies = Agency.objects.listed().select_related("node")
    # One query for the countries present: the country filter's choices and the
    # order of the groups (country names are sorted here, in the reader's language).
    codes = sorted(set(agencies.values_list("country", flat=True).order_by()), key=countries.name)
    form = DirectoryFilterForm(request.GET or None, country_codes=codes)
    queryset = form.filter(agencies) if form.is_bound else agencies
    country_rank = Case(
        *(When(country=code, then=Value(rank)) for rank, code in enumerate(codes)),
        default=Value(len(codes)),
        output_field=IntegerField(),
    )
    queryset = queryset.order_by(country_rank, "name", "pk")
    page, params = _paginate(request, queryset, DIRECTORY_PAGE_SIZE)
    return render(
        request,
        "accounts/directory.html",
        {
            "form": form,
            "page": page,
            "params": params,
            "now": timezone.now(),
            "filtered": form.is_bound and form.is_valid() and any(form.cleaned_data.values()),
        },
    )


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # Said in the language just chosen: the next page is drawn in it.
        with translation.override(user.language or translation.get_language()):
            messages.success(request, _("Your preferences were saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


def agency_admin_required(view):
    """Signed-in agency admins only; every other role answers 403."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not actions.is_agency_admin(request.user):
            raise PermissionDenied(_("Only agency admins manage users."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _managed_user(request, pk):
    """A user of the admin's own agency; anyone else answers 404."""
    return get_object_or_404(actions.managed_users(request.user), pk=pk)


@agency_admin_required
def agency_users(request):
    form = AgencyUserFilterForm(request.GET or None)
    users = form.filter(actions.managed_users(request.user)).order_by(
        "last_name", "first_name", "username"
    )
    page, params = _paginate(request, users, USERS_PAGE_SIZE)
    return render(
        request,
        "accounts/agency_users.html",
        {"form": form, "page": page, "params": params, "agency": request.user.agency},
    )


@agency_admin_required
def agency_user_create(request):
    agency = request.user.agency
    form = AgencyUserForm(
        request.POST or None,
        acting_user=request.user,
        initial={"language": agency.language, "timezone": agency.timezone},
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in actions.MANAGED_FIELDS}
        user = actions.create_user(request.user, request=request, **fields)
        actions.send_password_email(request.user, user, invitation=True)
        messages.success(
            request,
            _("%(name)s was added. An email with a link to set a password went to %(email)s.")
            % {"name": user.display_name, "email": user.email},
        )
        return redirect("accounts:agency_users")
    return render(request, "accounts/agency_user_form.html", {"form": form, "agency": agency})


@agency_admin_required
def agency_user_edit(request, pk):
    user = _managed_user(request, pk)
    form = AgencyUserForm(request.POST or None, instance=user, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        actions.update_user(request.user, user, request=request, **changes)
        messages.success(request, _("%(name)s was updated.") % {"name": user.display_name})
        return redirect("accounts:agency_users")
    return render(
        request,
        "accounts/agency_user_form.html",
        {
            "form": form,
            "agency": request.user.agency,
            "managed": user,
            "sign_in": throttle.lock_status(user.get_username()),
            "tokens": actions.own_tokens(user)[:TOKENS_LISTED],
        },
    )


@agency_admin_required
@require_POST
def agency_user_token_revoke(request, pk, token_pk):
    """An agency admin revokes an API token of one of their agency's users."""
    user = _managed_user(request, pk)
    token = get_object_or_404(actions.own_tokens(user), pk=token_pk)
    if actions.revoke_api_token(token, by=request.user, request=request):
        messages.success(
            request,
            _("The token “%(name)s” of %(user)s was revoked.")
            % {"name": token.name, "user": user.display_name},
        )
    return redirect("accounts:agency_user_edit", pk=user.pk)


@agency_admin_required
def agency_user_deactivate(request, pk):
    """GET asks for confirmation; POST deactivates."""
    user = _managed_user(request, pk)
    if user.pk == request.user.pk:
        raise PermissionDenied(_("You cannot deactivate your own account."))
    if request.method == "POST":
        actions.set_active(request.user, user, False, request=request)
        messages.success(
            request,
            _("%(name)s was deactivated and can no longer sign in.") % {"name": user.display_name},
        )
        return redirect("accounts:agency_users")
    return render(request, "accounts/agency_user_deactivate.html", {"managed": user})


@agency_admin_required
@require_POST
def agency_user_reactivate(request, pk):
    user = _managed_user(request, pk)
    actions.set_active(request.user, user, True, request=request)
    messages.success(request, _("%(name)s was reactivated.") % {"name": user.display_name})
    return redirect("accounts:agency_user_edit", pk=user.pk)


@agency_admin_required
@require_POST
def agency_user_send_reset(request, pk):
    user = _managed_user(request, pk)
    if not user.is_active:
        messages.error(request, _("Reactivate the account before sending a password link."))
    else:
        actions.send_password_email(request.user, user, invitation=not user.has_usable_password())
        messages.success(
            request,
            _("A link to set a new password went to %(email)s.") % {"email": user.email},
        )
    return redirect("accounts:agency_user_edit", pk=user.pk)


@agency_admin_required
@require_POST
def agency_user_unlock(request, pk):
    """Lift the sign-in lockout of a user: their failed attempts are forgotten."""
    user = _managed_user(request, pk)
    actions.unlock_sign_in(request.user, user, request=request)
    messages.success(
        request, _("%(name)s can sign in again at once.") % {"name": user.display_name}
    )
    return redirect("accounts:agency_user_edit", pk=user.pk)


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        form.user.audit_request = self.request
        return super().form_valid(form)
