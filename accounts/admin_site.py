"""The Django admin behind the same two sign-in steps as the rest of Concord.

Its own login form is not used: signing in goes through ``accounts:login`` and the second
factor, and the admin counts a staff user only once the session passed it.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


class SecondFactorAdminSite(admin.AdminSite):
    def has_permission(self, request):
        from accounts import mfa

        return super().has_permission(request) and mfa.session_verified(request)

    def login(self, request, extra_context=None):
        from accounts import mfa

        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url)
        if not (user.is_active and user.is_staff):
            raise PermissionDenied(_("Your account does not administer the platform."))
        if mfa.session_verified(request):
            return redirect(next_url)
        query = urlencode({REDIRECT_FIELD_NAME: next_url})
        if mfa.has_second_factor(user):
            return redirect(f"{reverse('accounts:mfa_verify')}?{query}")
        messages.info(
            request, _("The administration asks for a second factor. Add one to continue.")
        )
        return redirect(f"{reverse('accounts:mfa_security')}?{query}")
