"""The error answers every API operation may give, added to the schema in one place.

drf-spectacular documents the answers a view declares; the errors that DRF and
``coordination.api.exception_handler`` give to any operation (a malformed body or
filter, no or a refused credential, an object the caller may not see) are added here
to every operation they apply to, unless the view documents its own. Throttled views
(the token endpoint) may also answer 429.
"""

from django.utils.translation import gettext_lazy as _

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "An error message.",
}
# A serializer's field messages: {"field": ["message", ...]}, nested for nested fields,
# "non_field_errors" for the object as a whole, or {"detail": "..."} for a malformed body.
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {},
    "description": "Messages by field name (non_field_errors: the object as a whole).",
}

WRITE_METHODS = {"post", "put", "patch"}


def _answer(description, component, media_types):
    schema = {"$ref": f"#/components/schemas/{component}"}
    return {
        "description": str(description),
        "content": {media_type: {"schema": schema} for media_type in media_types},
    }


def _error_media_types(operation):
    """Errors come in the JSON media types the operation answers in (the STIX bundle's
    endpoint also in ``application/stix+json``), or plain JSON."""
    found = []
    for response in operation["responses"].values():
        for media_type in response.get("content", {}):
            if "json" in media_type and media_type not in found:
                found.append(media_type)
    return found or ["application/json"]


def _needs_authentication(operation, result):
    security = operation.get("security", result.get("security"))
    return bool(security) and {} not in security


def _statuses(path, method, operation, result, throttled):
    parameters = operation.get("parameters", [])
    statuses = {}
    if method in WRITE_METHODS or any(p.get("in") == "query" for p in parameters):
        statuses["400"] = (_("Malformed request or invalid values."), "ValidationError")
    if _needs_authentication(operation, result):
        statuses["401"] = (_("No valid credentials."), "Error")
        statuses["403"] = (_("The caller may not do this."), "Error")
    paged = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
    if "{" in path or paged:
        statuses["404"] = (_("No such object visible to the caller, or no such page."), "Error")
    if "requestBody" in operation:
        statuses["415"] = (_("Unsupported media type of the body."), "Error")
    if (path, method) in throttled:
        statuses["429"] = (_("Too many requests: try again later."), "Error")
    return statuses


def _throttled_operations(generator):
    """(path, method) of the operations whose view counts and limits requests."""
    return {
        (path, method.lower())
        for path, _regex, method, callback in getattr(generator, "endpoints", None) or ()
        if getattr(getattr(callback, "cls", None), "throttle_classes", None)
    }


def add_error_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the standard error answers on every operation they apply to."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    throttled = _throttled_operations(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            media_types = _error_media_types(operation)
            for status, (description, component) in _statuses(
                path, method, operation, result, throttled
            ).items():
                responses.setdefault(status, _answer(description, component, media_types))
    return result
