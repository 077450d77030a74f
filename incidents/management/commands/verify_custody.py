"""Recompute every custody chain and report the first broken link of each broken one.

Each verification is recorded (checked by "Concord"); a broken chain flags its item.

    python manage.py verify_custody [--incident CC-2026-000042]

Exits with status 1 when any chain is broken (for cron and monitoring).
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from incidents.evidence import actions
from incidents.models import Evidence, Incident


class Command(BaseCommand):
    help = "Verify the hash chains of custody events; name the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--incident", help="Only the evidence of this incident (reference).")

    def handle(self, *args, incident=None, **options):
        items = Evidence.objects.order_by("pk")
        if incident:
            if not Incident.objects.filter(reference=incident.strip().upper()).exists():
                raise CommandError(f"No incident {incident}.")
            items = items.filter(incident__reference=incident.strip().upper())
        broken = total = 0
        for item in items.iterator(chunk_size=500):
            total += 1
            _record, result = actions.verify_chain(item)
            if result.ok:
                note = ""
                if result.compromised:
                    steps = ", ".join(map(str, result.compromised))
                    note = f" (hash mismatch observed at step {steps}: item flagged compromised)"
                self.stdout.write(
                    f"{item.reference}: intact, {result.length} steps, "
                    f"final hash {result.final_hash}{note}"
                )
            else:
                broken += 1
                link = result.broken
                self.stdout.write(
                    self.style.ERROR(
                        f"{item.reference}: BROKEN at step {link.seq} ({link.what}): "
                        f"expected {link.expected}, found {link.found}"
                    )
                )
        summary = f"{total} item(s) checked, {broken} broken chain(s)."
        if broken:
            self.stdout.write(self.style.ERROR(summary))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))
