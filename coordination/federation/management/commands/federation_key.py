"""Create or show the node's Ed25519 signing key.

python manage.py federation_key              # show the public key's fingerprint
python manage.py federation_key --generate   # create the key (once, at set-up)
python manage.py federation_key --rotate     # new key, announced to peers with the old one
"""

from django.core.management.base import BaseCommand, CommandError

from coordination.federation import identity
from coordination.federation.management.commands._node import require_node


class Command(BaseCommand):
    help = "Create (--generate), rotate (--rotate) or show the node's signing key."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--generate", action="store_true", help="Create the key if missing.")
        group.add_argument("--rotate", action="store_true", help="Replace the key; tell peers.")

    def handle(self, *args, generate=False, rotate=False, **options):
        require_node(need_key=not generate)
        if generate:
            if identity.has_key():
                self.stdout.write(f"The node already has a key ({identity.key_path()}).")
            else:
                identity.generate_key()
                self.stdout.write(self.style.SUCCESS(f"Key created: {identity.key_path()}"))
        elif rotate:
            from coordination.federation import actions

            try:
                count = actions.rotate_node_key()
            except actions.PeerError as exc:
                raise CommandError(str(exc)) from exc
            except OSError as exc:
                raise CommandError(f"cannot write the new key, nothing changed: {exc}") from exc
            self.stdout.write(self.style.SUCCESS(f"Key rotated; {count} peer(s) told."))
        key = identity.signing_key()
        self.stdout.write(f"Fingerprint: {identity.grouped(identity.fingerprint(key))}")
