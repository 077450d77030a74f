"""The retention purge: the oldest records go, an anchor keeps the rest verifiable."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from coordination.audit.choices import AuditAction


def purge_before(cutoff):
    """Delete the records appended before ``cutoff``, oldest first, in one transaction.

    Only a prefix of the chain goes (records are in time order); the last purged
    record's number and hash become an anchor the verification starts from. On
    PostgreSQL the append-only trigger lets these rows go only inside this function's
    transaction (``concord.audit_purge_upto``). Returns how many records were removed.
    """
    from coordination.audit.models import AuditAnchor, AuditRecord
    from coordination.audit.recorder import _locked_head, record

    with transaction.atomic():
        _locked_head()  # no append while the prefix is cut
        last = (
            AuditRecord.objects.filter(at__lt=cutoff)
            .order_by("-seq")
            .values_list("seq", "entry_hash")
            .first()
        )
        if last is None:
            return 0
        upto, upto_hash = last
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('concord.audit_purge_upto', %s, true)", [str(upto)]
                )
        count = AuditRecord.objects.filter(seq__lte=upto)._raw_delete(connection.alias)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('concord.audit_purge_upto', '', true)")
        AuditAnchor.objects.create(seq=upto, entry_hash=upto_hash, purged=count, cutoff=cutoff)
        record(
            AuditAction.AUDIT_PURGED,
            details={"up_to": upto, "removed": count, "before": cutoff.isoformat()},
        )
    return count


def purge_expired(now=None):
    days = settings.AUDIT_RETENTION_DAYS
    if days <= 0:
        return 0
    return purge_before((now or timezone.now()) - datetime.timedelta(days=days))
