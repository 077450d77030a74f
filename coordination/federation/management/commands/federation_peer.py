"""List the peers, or suspend, resume or remove one.

python manage.py federation_peer                  # list
python manage.py federation_peer suspend de-node
python manage.py federation_peer resume de-node
python manage.py federation_peer remove de-node
"""

from django.core.management.base import BaseCommand, CommandError

from coordination.federation import actions, delivery
from coordination.federation.management.commands._node import require_node
from coordination.federation.models import Peer

OPERATIONS = {
    "suspend": actions.suspend_peer,
    "resume": actions.resume_peer,
    "remove": actions.remove_peer,
}


class Command(BaseCommand):
    help = "List the peer nodes, or suspend, resume or remove one."

    def add_arguments(self, parser):
        parser.add_argument("operation", nargs="?", choices=sorted(OPERATIONS))
        parser.add_argument("name", nargs="?")

    def handle(self, *args, operation=None, name=None, **options):
        require_node(need_key=False)
        if operation is None:
            for peer in Peer.objects.all():
                self.stdout.write(
                    f"{peer.name:20} {peer.state:10} {peer.base_url}  backlog "
                    f"{delivery.backlog(peer)}  failures {peer.failures}"
                )
            return
        peer = Peer.objects.filter(name=name).first()
        if peer is None:
            raise CommandError(f"No peer named {name!r}.")
        try:
            OPERATIONS[operation](peer)
        except actions.PeerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Peer {peer.name}: {operation}d."))
