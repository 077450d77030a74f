"""Sign-in, sign-out, failed sign-ins and admin changes, recorded from Django's signals."""

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from coordination.audit.choices import AuditAction
from coordination.audit.recorder import record


@receiver(user_logged_in, dispatch_uid="audit-sign-in")
def signed_in(sender, request, user, **kwargs):
    record(AuditAction.SIGN_IN, request=request, actor=user, target=user)


@receiver(user_logged_out, dispatch_uid="audit-sign-out")
def signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditAction.SIGN_OUT, request=request, actor=user, target=user)


@receiver(user_login_failed, dispatch_uid="audit-sign-in-failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "").replace("\x00", "")[:150]
    # The attempt is shown to the admins of the agency whose account was tried.
    target = (
        get_user_model()
        .objects.filter(username=username)
        .only("pk", "username", "agency_id")
        .first()
        if username
        else None
    )
    record(
        AuditAction.SIGN_IN_FAILED,
        request=getattr(request, "_request", request),
        actor=None,
        object_type="user",
        object_ref=username,
        agency=getattr(target, "agency_id", None),
        details={"username": username},
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="audit-admin-change")
def admin_changed(sender, instance, created, **kwargs):
    if not created:
        return
    user = get_user_model().objects.filter(pk=instance.user_id).first()
    model = instance.content_type.model if instance.content_type_id else ""
    # The admin hands the object's pk over as it is (an int here), not as stored text.
    object_id = str(instance.object_id or "")
    target_agency = None
    if model == "agency" and object_id.isdigit():
        target_agency = int(object_id)
    elif model == "user" and object_id.isdigit():
        target_agency = (
            get_user_model()
            .objects.filter(pk=int(object_id))
            .values_list("agency_id", flat=True)
            .first()
        )
    record(
        AuditAction.ADMIN_ACTION,
        actor=user,
        object_type=model,
        object_ref=object_id,
        agency=target_agency,
        details={
            "change": instance.get_action_flag_display(),
            "object": str(instance.object_repr)[:200],
            "message": instance.get_change_message()[:500],
        },
    )
