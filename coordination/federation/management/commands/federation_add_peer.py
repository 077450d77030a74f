"""Add a peer node, if its key has the fingerprint agreed with its admin out of band.

python manage.py federation_add_peer https://concord.example.de "3f2a 9c01 …"
"""

from django.core.management.base import BaseCommand, CommandError

from coordination.federation import actions
from coordination.federation.management.commands._node import require_node


class Command(BaseCommand):
    help = "Add a peer node by base URL and the fingerprint agreed out of band."

    def add_arguments(self, parser):
        parser.add_argument("base_url", help="The peer's base URL (https://…).")
        parser.add_argument("fingerprint", help="The peer key's fingerprint, as agreed.")

    def handle(self, *args, base_url, fingerprint, **options):
        require_node()
        try:
            peer = actions.add_peer(base_url, fingerprint)
        except actions.PeerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Peer {peer.name} added ({peer.base_url})."))
