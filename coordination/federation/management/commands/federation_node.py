"""Show this node's identity, to read out to a peer's admin.

python manage.py federation_node
"""

from django.core.management.base import BaseCommand

from coordination.federation import identity
from coordination.federation.management.commands._node import require_node


class Command(BaseCommand):
    help = "Print the node's name, base URL and key fingerprint."

    def handle(self, *args, **options):
        require_node()
        document = identity.node_document()
        self.stdout.write(f"Name:        {document['name']}")
        self.stdout.write(f"Base URL:    {document['base_url']}")
        self.stdout.write(f"Fingerprint: {identity.grouped(document['fingerprint'])}")
