"""Which URLs consult or disclose case data, and so leave an audit record.

Every named URL of the project is in exactly one of CONSULTATIONS, DISCLOSURES or
NOT_RECORDED (with the reason); tests/security/test_audit_coverage.py walks the resolver
and fails on a URL in none of them, so a new view cannot escape the trail by default.
"""

from dataclasses import dataclass

from coordination.audit.choices import AuditAction

READS = ("GET", "HEAD")


@dataclass(frozen=True)
class Rule:
    action: str
    object_type: str
    kwarg: str | None = "reference"
    methods: tuple = READS


def _viewed(object_type, kwarg="reference"):
    return Rule(AuditAction.VIEWED, object_type, kwarg)


def _exported(object_type, kwarg="reference", methods=READS):
    return Rule(AuditAction.EXPORTED, object_type, kwarg, methods)


def _downloaded(object_type, kwarg="reference", methods=READS):
    return Rule(AuditAction.DOWNLOADED, object_type, kwarg, methods)


CONSULTATIONS = {
    # Pages
    "incidents:detail": _viewed("incident"),
    "incidents:timeline": _viewed("incident"),
    "evidence:incident_list": _viewed("incident"),
    "evidence:incident_panel": _viewed("incident"),
    "evidence:detail": _viewed("evidence"),
    "intel:panel": _viewed("incident"),
    "casework:panel": _viewed("incident"),
    "intel:search": _viewed("indicator search", kwarg=None),
    "assistance:detail": _viewed("request"),
    "assistance:incident_panel": _viewed("incident"),
    "assistance:escalation": _viewed("request"),
    "exchange:incident_panel": _viewed("incident"),
    # REST API reads: lists too (a tool reads in bulk)
    "incidents-api:incident-list": _viewed("incident list", kwarg=None),
    "incidents-api:incident-detail": _viewed("incident"),
    "incidents-api:incident-timeline-list": _viewed("incident"),
    "incidents-api:incident-timeline-detail": _viewed("incident"),
    "incidents-api:incident-participant-list": _viewed("incident"),
    "incidents-api:incident-participant-detail": _viewed("incident"),
    "incidents-api:incident-tag-list": _viewed("incident"),
    "incidents-api:incident-task-list": _viewed("incident"),
    "incidents-api:incident-task-detail": _viewed("incident"),
    "evidence-api:evidence-list": _viewed("evidence list", kwarg=None),
    "evidence-api:evidence-detail": _viewed("evidence"),
    "evidence-api:evidence-custody": _viewed("evidence"),
    "evidence-api:evidence-verify": _viewed("evidence"),
    "intel-api:indicator-list": _viewed("indicator list", kwarg=None),
    "intel-api:indicator-detail": _viewed("indicator", kwarg="pk"),
    "assistance-api:request-list": _viewed("request list", kwarg=None),
    "assistance-api:request-detail": _viewed("request"),
    "assistance-api:request-history": _viewed("request"),
    # TAXII: what a collection holds, without the objects themselves
    "taxii:manifest": _viewed("collection", kwarg="collection_id"),
    # Exercises: their board, players' page and after-action report
    "exercises:detail": _viewed("exercise", kwarg="pk"),
    "exercises:board": _viewed("exercise", kwarg="pk"),
    "exercises:play": _viewed("exercise", kwarg="pk"),
    "exercises:report": _viewed("exercise", kwarg="pk"),
}

DISCLOSURES = {
    "exchange:incident_stix": _exported("incident"),
    "exchange-api:incident-stix": _exported("incident"),
    "exchange:incident_blocklist": _exported("incident"),
    "exchange:collection_blocklist": _exported("collection", kwarg="collection_id"),
    "taxii:objects": _exported("collection", kwarg="collection_id"),
    "taxii:object": _exported("collection", kwarg="collection_id"),
    "taxii:object_versions": _exported("collection", kwarg="collection_id"),
    "incidents:report_pdf": _exported("incident"),
    "incidents:report_json": _exported("incident"),
    "incidents-api:incident-report": _exported("incident"),
    "evidence:report": _exported("evidence"),
    "evidence:report_pdf": _exported("evidence"),
    "evidence:download": _downloaded("evidence", methods=("GET", "HEAD", "POST")),
    "evidence-api:evidence-file": _downloaded("evidence", methods=("GET", "HEAD", "POST")),
    "assistance:print": _exported("request"),
    "assistance:print_acknowledgement": _exported("request"),
    "assistance:attachment_download": _downloaded("request"),
    "incidents:attachment": _downloaded("timeline attachment", kwarg="pk"),
    "incidents-api:incident-timeline-attachment": _downloaded(
        "timeline attachment", kwarg="attachment_id"
    ),
    "audit:export": Rule(AuditAction.EXPORTED, "audit records", None),
    "exercises:report_pdf": _exported("exercise", kwarg="pk"),
    "exercises:report_csv": _exported("exercise", kwarg="pk"),
}

_LIST = "a list of titles and references; what is opened from it is recorded"
_WRITE = "a form or an action: the change is recorded in the case's own timeline or history"
_ACCOUNT = "the caller's own account; security events are recorded where they happen"
_NO_CASE = "shows no case data"

NOT_RECORDED = {
    "exercises:list": _LIST,
    "exercises:new": _WRITE,
    "exercises:control": _WRITE,
    "exercises:inject": _WRITE,
    "exercises:lesson": _WRITE,
    "incidents:dashboard": _LIST,
    "incidents:list": _LIST,
    "incidents:create": _WRITE,
    "incidents:edit": _WRITE,
    "incidents:status_change": _WRITE,
    "incidents:timeline_add": _WRITE,
    "incidents:invite": _WRITE,
    "incidents:participant_remove": _WRITE,
    "incidents:participant_role": _WRITE,
    "incidents:agency_options": "agency names for the invite form",
    "incidents:tag_add": _WRITE,
    "incidents:tag_remove": _WRITE,
    "incidents:attachment_promote": _WRITE,
    "incidents-api:incident-tag-detail": _WRITE,
    "incidents-api:tag-suggestions": "the caller's own agency's tag names",
    "casework:my_tasks": _LIST,
    "casework:add": _WRITE,
    "casework:edit": _WRITE,
    "casework:assign": _WRITE,
    "casework:status": _WRITE,
    "casework:move": _WRITE,
    "casework:owner": _WRITE,
    "casework:templates": "the agency's case templates, no case data",
    "casework:template_create": "the agency's case templates, no case data",
    "casework:template_edit": "the agency's case templates, no case data",
    "incidents-api:incident-task-change-status": _WRITE,
    "incidents-api:incident-task-move": _WRITE,
    "evidence:all": _LIST,
    "evidence:create": _WRITE,
    "evidence:custody_add": _WRITE,
    "evidence:verify": "recomputes hashes; the result is recorded with the item",
    "intel:add": _WRITE,
    "intel:paste": _WRITE,
    "intel:request_contact": _WRITE,
    "intel:allow_in_blocklists": _WRITE,
    "assistance:requests": _LIST,
    "assistance:desk": _LIST,
    "assistance:create": _WRITE,
    "assistance:form_adapt": "form fields for a legal basis",
    "assistance:policy": "deadline rules, no case data",
    "assistance:providers": "the register of service providers, reference data",
    "assistance:delay_notice": _WRITE,
    "assistance:edit": _WRITE,
    "assistance:attachment_upload": _WRITE,
    "assistance:attachment_remove": _WRITE,
    "assistance:action": _WRITE,
    "exchange:api_token": _ACCOUNT,
    "exchange:incident_import": _WRITE,
    "accounts-api:token": _ACCOUNT,
    "accounts-api:agency-list": "the agency directory",
    "accounts-api:agency-detail": "the agency directory",
    "incidents-api:incident-change-status": _WRITE,
    "intel-api:indicator-bulk": _WRITE,
    "intel-api:indicator-request-contact": _WRITE,
    "intel-api:indicator-allow-in-blocklists": _WRITE,
    "assistance-api:request-action": _WRITE,
    "taxii:discovery": _NO_CASE,
    "taxii:api_root": _NO_CASE,
    "taxii:not_found": "a TAXII 404 error message, no case data",
    "taxii:collections": "collection names",
    "taxii:collection": "collection names",
    "notifications:inbox": "the reader's own notifications, drawn by the visibility rule",
    "notifications:bell": "an unread count",
    "notifications:open": "redirects to the object, whose page is recorded",
    "notifications:read": _WRITE,
    "notifications:read_all": _WRITE,
    "notifications:preferences": _ACCOUNT,
    "notifications:failed": "delivery failures for agency admins",
    "notifications:retry": _WRITE,
    "audit:records": "the audit trail itself, read by its admins",
    "api-schema": _NO_CASE,
    "api-docs": _NO_CASE,
    "health": _NO_CASE,
    "accessibility": _NO_CASE,
    "concord_node": "the node's public identity and key, no case data",
    "federation:inbox": "signed messages from peer nodes; every message is kept in the inbox "
    "and a refused one is recorded",
    "federation:outbox": "a peer's gap fetch of messages already addressed to it, kept in "
    "the outbox",
    "federation:files": "a peer's fetch of the file of an entry already sent to it (the "
    "entry's message is kept in the outbox); a refused fetch is recorded",
    "federation:peers": "the node's peers, no case data",
    "federation:peer_change": "peer changes are recorded as peer events",
    "federation:peer_retry": "the retry is recorded as a peer event",
    "federation:rotate_key": "the rotation is recorded as a node event",
}
# The accounts pages and the Django admin (whose changes become ADMIN_ACTION records).
NOT_RECORDED_NAMESPACES = {
    "accounts": _ACCOUNT,
    "admin": "configuration only; changes are recorded from the admin's log",
    "otp_webauthn": "the second factor's key ceremonies; enrolments and failures are recorded",
}


def rule_for(view_name):
    return CONSULTATIONS.get(view_name) or DISCLOSURES.get(view_name)


def is_classified(view_name):
    if rule_for(view_name) or view_name in NOT_RECORDED:
        return True
    namespace = view_name.split(":", 1)[0] if ":" in view_name else ""
    return namespace in NOT_RECORDED_NAMESPACES
