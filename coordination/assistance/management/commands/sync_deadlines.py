"""Start the deadline rows of requests that have none (requests sent before they existed)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from coordination.assistance import deadlines
from coordination.assistance.choices import INTERNAL_STATUSES
from coordination.assistance.models import AssistanceRequest


class Command(BaseCommand):
    help = (
        "Compute the deadlines of sent requests that have no deadline rows yet, from their "
        "timestamps, and keep the nearest one on each request. Safe to run again."
    )

    def handle(self, *args, **options):
        pending = (
            AssistanceRequest.objects.exclude(status__in=INTERNAL_STATUSES)
            .filter(clocks__isnull=True)
            .select_related(
                "requesting_agency", "receiving_agency", "executing_agency", "enforcing_agency"
            )
            .order_by("pk")
        )
        count = 0
        for request in pending.iterator(chunk_size=500):
            with transaction.atomic():
                rows = deadlines.sync_clocks(request)
                AssistanceRequest.objects.filter(pk=request.pk).update(
                    **deadlines.request_due_fields(rows)
                )
            count += 1
        self.stdout.write(f"{count} request(s) given their deadlines.")
