"""Bundles in the shape of public ones, written by hand after the STIX 2.1 specification.

``APT1``: like the OASIS "APT1" example (a Mandiant report): indicators with an AND over
x509 certificate properties, an OR of file hashes, a domain, with a threat actor, a
malware and their relationships. ``MISP``: like the output of MISP's STIX 2.1 converter:
an event as a grouping marked TLP:AMBER, a copyright statement, hashes Concord has no
type for, email and network traffic patterns, a MATCHES pattern, a granular TLP:RED on
a pattern, a revoked and an expired indicator, an indicator without id.
"""

import copy

import stix2

from coordination.exchange import stix

MANDIANT = "identity--81cade27-7df8-4730-836b-62d880e6d9d3"
COPYRIGHT = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
X509_ID = "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1"
HASHES_ID = "indicator--a6e3e2a4-8a4e-4ad5-8d0d-8a4bf9a6f2c3"
DOMAIN_ID = "indicator--f64de948-f8a4-4c59-8b6d-2c17b7a0f2d1"
X509_PATTERN = (
    "[x509-certificate:issuer = 'C=US, ST=Some-State, L=Beijing, O=Naver, OU=Naver, "
    "CN=Naver' AND x509-certificate:serial_number = '31:29:6c:5f:0b:53:26:2a']"
)
HASHES_PATTERN = (
    "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c'"
    " OR file:hashes.MD5 = '7a2d4a8a3e1b2c3d4e5f60718293a4b5']"
)
CREATED = "2015-05-15T09:12:16.432Z"


def _indicator(object_id, pattern, **extra):
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": object_id,
        "created": CREATED,
        "modified": CREATED,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": CREATED,
        **extra,
    }


APT1 = {
    "type": "bundle",
    "id": "bundle--2a25c3c8-5d88-4ae9-862a-cc3396442317",
    "objects": [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": MANDIANT,
            "created": CREATED,
            "modified": CREATED,
            "name": "Mandiant",
            "identity_class": "organization",
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": COPYRIGHT,
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "statement",
            "definition": {"statement": "Copyright 2015, Mandiant, Inc."},
        },
        _indicator(
            X509_ID,
            X509_PATTERN,
            created_by_ref=MANDIANT,
            name="Malicious SSL certificate",
            indicator_types=["malicious-activity"],
            kill_chain_phases=[
                {
                    "kill_chain_name": "mandiant-attack-lifecycle-model",
                    "phase_name": "establish-foothold",
                }
            ],
            external_references=[
                {"source_name": "mandiant", "description": "APT1 report, appendix F"}
            ],
            labels=["apt1", "x509"],
            object_marking_refs=[COPYRIGHT, stix2.TLP_GREEN.id],
        ),
        _indicator(
            HASHES_ID,
            HASHES_PATTERN,
            created_by_ref=MANDIANT,
            name="WEBC2-YAHOO",
            indicator_types=["malicious-activity"],
            object_marking_refs=[COPYRIGHT],
        ),
        _indicator(
            DOMAIN_ID,
            "[domain-name:value = 'advanbusiness.com']",
            created_by_ref=MANDIANT,
            name="APT1 FQDN",
            indicator_types=["malicious-activity"],
        ),
        {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": "threat-actor--6d179234-61fc-40c4-ae86-3d53308d8e65",
            "created": CREATED,
            "modified": CREATED,
            "name": "APT1",
            "threat_actor_types": ["nation-state"],
        },
        {
            "type": "malware",
            "spec_version": "2.1",
            "id": "malware--2485b844-4efe-4343-84c8-eb33312dd56f",
            "created": CREATED,
            "modified": CREATED,
            "name": "WEBC2-YAHOO",
            "is_family": True,
        },
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": "relationship--7b8e4d2c-0a3f-4b6b-9d0c-3f5e2a1b6c7d",
            "created": CREATED,
            "modified": CREATED,
            "relationship_type": "indicates",
            "source_ref": HASHES_ID,
            "target_ref": "malware--2485b844-4efe-4343-84c8-eb33312dd56f",
        },
    ],
}

ORG = "identity--5f2c9e4b-1a3d-4e6f-8b7c-9d0e1f2a3b4c"
TERMS = "marking-definition--3c7a1b2d-4e5f-4a6b-8c9d-0e1f2a3b4c5d"
SHA512_ID = "indicator--0b0a7d3e-1c2f-4a5b-9c8d-7e6f5a4b3c21"
FUZZY_ID = "indicator--1c1b8e4f-2d3a-4b6c-8d9e-8f7a6b5c4d32"
IMPHASH_ID = "indicator--2d2c9f5a-3e4b-4c7d-9e0f-9a8b7c6d5e43"
EMAIL_ID = "indicator--3e3d0a6b-4f5c-4d8e-8f1a-0b9c8d7e6f54"
TRAFFIC_ID = "indicator--4f4e1b7c-5a6d-4e9f-9a2b-1c0d9e8f7a65"
MATCHES_ID = "indicator--5a5f2c8d-6b7e-4f0a-8b3c-2d1e0f9a8b76"
RED_ID = "indicator--6b6a3d9e-7c8f-4a1b-9c4d-3e2f1a0b9c87"
REVOKED_ID = "indicator--7c7b4e0f-8d9a-4b2c-8d5e-4f3a2b1c0d98"
EXPIRED_ID = "indicator--8d8c5f1a-9e0b-4c3d-9e6f-5a4b3c2d1e09"
ACTIVE_ID = "indicator--9e9d6a2b-0f1c-4d4e-8f7a-6b5c4d3e2f1a"
SHA512 = "a" * 128
MD5_IN_OR = "0123456789abcdef0123456789abcdef"
MATCHES_PATTERN = "[url:value MATCHES '^https?://evil\\\\.example/dl/.*']"
MISP_CREATED = "2024-03-01T10:00:00.000Z"


def _misp(object_id, pattern, **extra):
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": object_id,
        "created_by_ref": ORG,
        "created": MISP_CREATED,
        "modified": MISP_CREATED,
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": MISP_CREATED,
        "labels": ['misp:category="Payload delivery"', 'misp:to_ids="True"'],
        **extra,
    }


MISP_INDICATORS = [
    _misp(SHA512_ID, f"[file:hashes.'SHA-512' = '{SHA512}']", object_marking_refs=[TERMS]),
    _misp(
        FUZZY_ID,
        "[file:hashes.SSDEEP = '96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:"
        "sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO' OR file:hashes.TLSH = "
        "'T1A3B2C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4' "
        f"OR file:hashes.MD5 = '{MD5_IN_OR}']",
    ),
    _misp(
        IMPHASH_ID,
        "[file:extensions.'windows-pebinary-ext'.imphash = 'f34d5f2d4577ed6d9ceec516c1f5a744']",
    ),
    _misp(
        EMAIL_ID,
        "[email-message:from_ref.value = 'billing@phish.example' AND "
        "email-message:subject = 'Your invoice']",
    ),
    _misp(
        TRAFFIC_ID,
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND "
        "network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]",
    ),
    _misp(MATCHES_ID, MATCHES_PATTERN),
    _misp(
        RED_ID,
        "[ipv4-addr:value = '198.51.100.66']",
        granular_markings=[{"marking_ref": stix.TLP_MARKING_IDS["red"], "selectors": ["pattern"]}],
    ),
    _misp(REVOKED_ID, "[domain-name:value = 'revoked.example']", revoked=True),
    _misp(
        EXPIRED_ID,
        "[domain-name:value = 'expired.example']",
        valid_until="2024-06-01T00:00:00.000Z",
    ),
    _misp(ACTIVE_ID, "[domain-name:value = 'active.example']", name="C2 domain"),
]

MISP = {
    "type": "bundle",
    "id": "bundle--6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "objects": [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": ORG,
            "created": MISP_CREATED,
            "modified": MISP_CREATED,
            "name": "CERT-EX",
            "identity_class": "organization",
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": TERMS,
            "created": MISP_CREATED,
            "definition_type": "statement",
            "definition": {"statement": "Terms of use: share with law enforcement only."},
        },
        {
            "type": "grouping",
            "spec_version": "2.1",
            "id": "grouping--7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
            "created_by_ref": ORG,
            "created": MISP_CREATED,
            "modified": MISP_CREATED,
            "name": "MISP event 1234: phishing wave",
            "context": "suspicious-activity",
            "object_refs": [obj["id"] for obj in MISP_INDICATORS],
            "object_marking_refs": [stix2.TLP_AMBER.id],
        },
        *MISP_INDICATORS,
        {  # no id: reported on its own, the rest imported
            "type": "indicator",
            "spec_version": "2.1",
            "created": MISP_CREATED,
            "modified": MISP_CREATED,
            "pattern": "[ipv4-addr:value = '198.51.100.99']",
            "pattern_type": "stix",
            "valid_from": MISP_CREATED,
        },
        {
            "type": "malware",
            "spec_version": "2.1",
            "id": "malware--8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e",
            "created": MISP_CREATED,
            "modified": MISP_CREATED,
            "name": "Emotet",
            "is_family": True,
        },
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": "relationship--9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
            "created": MISP_CREATED,
            "modified": MISP_CREATED,
            "relationship_type": "indicates",
            "source_ref": SHA512_ID,
            "target_ref": "malware--8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e",
        },
    ],
}
NO_ID_POSITION = 3 + len(MISP_INDICATORS) + 1  # the report names it by its position


def bundle(template):
    """A fresh copy, free to change in a test."""
    return copy.deepcopy(template)
