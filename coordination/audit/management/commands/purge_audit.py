"""Remove audit records older than the retention period (AUDIT_RETENTION_DAYS).

    python manage.py purge_audit [--days N] [--dry-run]

The records kept still verify: the last removed record's number and hash are kept
as an anchor, and the purge itself is recorded.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coordination.audit import recorder, retention
from coordination.audit.models import AuditRecord


class Command(BaseCommand):
    help = "Purge audit records older than the retention period; the rest stays verifiable."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Keep this many days.")
        parser.add_argument("--dry-run", action="store_true", help="Only count.")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days <= 0:
            raise CommandError("Retention is off (AUDIT_RETENTION_DAYS=0); give --days N > 0.")
        recorder.flush()
        cutoff = timezone.now() - datetime.timedelta(days=days)
        if dry_run:
            count = AuditRecord.objects.filter(at__lt=cutoff).count()
            self.stdout.write(f"{count} record(s) older than {cutoff:%Y-%m-%d %H:%M} UTC.")
            return
        count = retention.purge_before(cutoff)
        self.stdout.write(
            self.style.SUCCESS(f"{count} record(s) older than {cutoff:%Y-%m-%d %H:%M} UTC removed.")
        )
