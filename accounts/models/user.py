from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.timezones import TIMEZONE_CHOICES, validate_timezone


class PeopleManager(UserManager):
    def nameable(self):
        """Who may be named on a TLP:RED item: active people of this node, and the people
        another node's directory lists now (``listed_by_node``)."""
        return self.filter(Q(is_active=True) | Q(listed_by_node=True))


class User(AbstractUser):
    """A person working for one agency. A superuser may have no agency.

    A person of another node's agency, published in its directory, has a row here so that
    a TLP:RED item can name them (``coordination.federation.directory``): inactive, without
    password, username ``<node>:<username there>``. Such a row signs in nowhere.
    """

    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        verbose_name=_("agency"),
    )
    role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, default=Role.INVESTIGATOR
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        choices=TIMEZONE_CHOICES,
        validators=[validate_timezone],
    )

    listed_by_node = models.BooleanField(
        _("listed by another node"),
        default=False,
        editable=False,
        help_text=_("A person of another node's agency, as that node's directory lists them."),
    )

    objects = PeopleManager()

    # The request changing this user, where a view knows it (the admin, the password
    # views): the audit records of ``save()`` name its actor and address.
    audit_request = None

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.get_full_name() or self.username

    @cached_property
    def visibility_group_ids(self):
        """The user's group ids, read once per user object (so once per request).

        ``incidents.querysets.permission_exists`` writes them into its clauses as
        literals. Changing this user's groups through ``user.groups`` or
        ``sync_agency_group`` forgets them.
        """
        memberships = self.groups.through.objects.filter(user_id=self.pk)
        return sorted(memberships.values_list("group_id", flat=True))

    def remember_visibility_group_ids(self, group_ids):
        """Group ids read with the user (``accounts.backends``): no query of their own."""
        self.__dict__["visibility_group_ids"] = sorted(group_ids)

    def forget_visibility_group_ids(self):
        self.__dict__.pop("visibility_group_ids", None)

    @property
    def may_be_named(self):
        return self.is_active or self.listed_by_node

    def has_role(self, *roles):
        return self.is_active and self.role in roles

    def set_password(self, raw_password):
        # An account saved without any password hash ("", not even an unusable one) is
        # being set up (demo data, test factories): its first password is no change.
        self._password_first = not self.password
        super().set_password(raw_password)

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_discarded = True

    def save(self, *args, **kwargs):
        # Whatever path sets or removes a password (own change, reset link, Django admin,
        # ``changepassword``) ends here; a hash upgrade at sign-in leaves ``_password`` None.
        adding = self._state.adding
        password_changed = not adding and (
            (self._password is not None and not getattr(self, "_password_first", False))
            or getattr(self, "_password_discarded", False)
        )
        super().save(*args, **kwargs)
        self._password_discarded = self._password_first = False
        self.sync_agency_group()
        if password_changed or (not adding and not self.is_active):
            from accounts import actions

            if password_changed:
                actions.password_changed(self, request=self.audit_request)
            if not self.is_active:
                # An inactive account keeps no live token, however it was deactivated.
                actions.revoke_user_tokens(self, request=self.audit_request)

    def sync_agency_group(self):
        """Keep the user in exactly their agency's group (object permissions hang on it)."""
        from accounts.models import Agency

        agency_groups = self.groups.filter(agency__isnull=False)
        wanted = self.agency.group_id if self.agency_id else None
        stale = agency_groups.exclude(pk=wanted) if wanted else agency_groups
        if stale.exists():
            self.groups.remove(*stale)
        if wanted and not self.groups.filter(pk=wanted).exists():
            self.groups.add(Agency.objects.only("group_id").get(pk=self.agency_id).group_id)
        self.forget_visibility_group_ids()
