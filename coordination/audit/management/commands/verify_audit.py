"""Recompute the audit trail's hash chain and name the first broken link.

    python manage.py verify_audit

Appends what waits in the buffer first. Exits with status 1 when the chain is broken.
"""

import sys

from django.core.management.base import BaseCommand

from coordination.audit import chain, recorder


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; name the first broken link."

    def handle(self, *args, **options):
        recorder.flush()
        result = chain.verify()
        if not result.ok:
            self.stdout.write(self.style.ERROR(f"Audit trail BROKEN: {result.problem}."))
            sys.exit(1)
        span = f"records {result.first_seq}-{result.last_seq}" if result.checked else "no records"
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail intact: {result.checked} checked, {span}.")
        )
