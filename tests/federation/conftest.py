"""A federated node for the tests: this process is node "fr-node"; peers are keys made here."""

import pytest

from coordination.federation import identity


@pytest.fixture
def node(settings, tmp_path):
    """Federation on, with a fresh key under the test's own directory."""
    settings.FEDERATION_NODE_NAME = "fr-node"
    settings.FEDERATION_BASE_URL = "http://fr.node.test"
    settings.FEDERATION_KEY_FILE = tmp_path / "federation" / "node-key.pem"
    identity.generate_key()
    return identity.signing_key()
