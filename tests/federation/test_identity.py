import json
import stat

import pytest
from django.core.management import CommandError, call_command
from joserfc.jwk import OKPKey

from coordination.federation import identity

pytestmark = pytest.mark.federation


def test_generated_key_is_kept_in_a_file_only_its_owner_reads(node, settings):
    path = settings.FEDERATION_KEY_FILE

    mode = stat.S_IMODE(path.stat().st_mode)

    assert mode == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()


def test_generating_a_second_time_keeps_the_first_key(node, settings, capsys):
    before = settings.FEDERATION_KEY_FILE.read_bytes()

    call_command("federation_key", "--generate")

    assert settings.FEDERATION_KEY_FILE.read_bytes() == before
    assert "already has a key" in capsys.readouterr().out


def test_fingerprint_is_the_sha256_of_the_raw_public_key_grouped_by_four(node):
    fp = identity.fingerprint(node)

    assert len(fp) == 64 and int(fp, 16) >= 0
    assert identity.grouped(fp).split(" ")[0] == fp[:4]
    assert identity.normalise_fingerprint(identity.grouped(fp).upper()) == fp
    assert identity.normalise_fingerprint(":".join(fp[i : i + 2] for i in range(0, 64, 2))) == fp


def test_fingerprint_check_refuses_what_is_not_64_hex_digits():
    assert identity.normalise_fingerprint("abcd") == ""
    assert identity.normalise_fingerprint("z" * 64) == ""


def test_node_command_prints_name_base_url_and_fingerprint(node, capsys):
    call_command("federation_node")

    out = capsys.readouterr().out
    assert "fr-node" in out and "http://fr.node.test" in out
    assert identity.grouped(identity.fingerprint(node)) in out


def test_commands_refuse_while_federation_is_off(settings):
    settings.FEDERATION_NODE_NAME = ""

    with pytest.raises(CommandError, match="FEDERATION_NODE_NAME"):
        call_command("federation_node")


def test_well_known_document_publishes_the_public_key_and_never_the_private_one(node, client):
    response = client.get("/.well-known/concord-node")

    assert response.status_code == 200
    document = response.json()
    assert document["name"] == "fr-node"
    assert document["base_url"] == "http://fr.node.test"
    assert document["protocol_versions"] == ["1"]
    assert "d" not in document["public_key"]
    published = OKPKey.import_key(document["public_key"])
    assert identity.fingerprint(published) == document["fingerprint"] == identity.fingerprint(node)
    assert "PRIVATE" not in json.dumps(document)


def test_well_known_document_is_not_found_while_federation_is_off(settings, client):
    settings.FEDERATION_NODE_NAME = ""

    assert client.get("/.well-known/concord-node").status_code == 404


@pytest.mark.django_db
def test_rotate_command_prints_the_new_fingerprint_and_refuses_a_second_rotation_while_a_peer_waits(
    remote, node, capsys
):
    call_command("federation_key", "--rotate")

    new = identity.fingerprint(identity.signing_key())
    out = capsys.readouterr().out
    assert "1 peer(s) told" in out and identity.grouped(new) in out
    with pytest.raises(CommandError, match="de-node has not received the previous rotation"):
        call_command("federation_key", "--rotate")
    assert identity.fingerprint(identity.signing_key()) == new
