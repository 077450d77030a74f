"""What the audit trail records: a category and an action per record."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    SECURITY = "security", _("Security")
    CONSULTATION = "consultation", _("Consultation")
    DISCLOSURE = "disclosure", _("Disclosure")


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    LOCKED_OUT = "locked_out", _("Locked out after failed attempts")
    MFA_ENROLLED = "mfa_enrolled", _("Second factor added")
    MFA_REMOVED = "mfa_removed", _("Second factor removed")
    MFA_RESET = "mfa_reset", _("Second factors reset by an admin")
    MFA_FAILED = "mfa_failed", _("Second factor refused")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_USED = "token_used", _("API token used")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
    PASSWORD_RESET_DONE = "password_reset_done", _("Password reset")
    USER_CREATED = "user_created", _("User created")
    USER_CHANGED = "user_changed", _("User changed")
    USER_DEACTIVATED = "user_deactivated", _("User deactivated")
    USER_REACTIVATED = "user_reactivated", _("User reactivated")
    AGENCY_ACTIVATED = "agency_activated", _("Agency activated")
    AGENCY_DEACTIVATED = "agency_deactivated", _("Agency deactivated")
    AGENCY_CHANGED = "agency_changed", _("Agency changed")
    INCIDENT_SHARED = "incident_shared", _("Incident shared")
    PARTICIPATION_CHANGED = "participation_changed", _("Participation role changed")
    PARTICIPATION_REMOVED = "participation_removed", _("Agency removed from an incident")
    ADMIN_ACTION = "admin_action", _("Change in the administration site")
    AUDIT_PURGED = "audit_purged", _("Old audit records purged")
    PEER_ADDED = "peer_added", _("Peer node added")
    PEER_SUSPENDED = "peer_suspended", _("Peer node suspended")
    PEER_RESUMED = "peer_resumed", _("Peer node resumed")
    PEER_REMOVED = "peer_removed", _("Peer node removed")
    PEER_KEY_CHANGED = "peer_key_changed", _("Peer node's key changed")
    PEER_RETRY = "peer_retry", _("Delivery to a peer node retried")
    NODE_KEY_ROTATED = "node_key_rotated", _("Node key rotated")
    MESSAGE_REFUSED = "message_refused", _("Federation message refused")
    VIEWED = "viewed", _("Consulted")
    EXPORTED = "exported", _("Exported")
    DOWNLOADED = "downloaded", _("Downloaded")


CATEGORY_OF = {
    AuditAction.VIEWED: Category.CONSULTATION,
    AuditAction.EXPORTED: Category.DISCLOSURE,
    AuditAction.DOWNLOADED: Category.DISCLOSURE,
    AuditAction.INCIDENT_SHARED: Category.DISCLOSURE,
}


def category_of(action):
    return CATEGORY_OF.get(action, Category.SECURITY)


class Via(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("REST API")
    TAXII = "taxii", _("TAXII")
    ADMIN = "admin", _("Administration site")
    SYSTEM = "system", _("System")
