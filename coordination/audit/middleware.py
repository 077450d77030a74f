"""Records consultations and exports of case data, from the URL registry."""

from coordination.audit.choices import AuditAction
from coordination.audit.recorder import record_buffered
from coordination.audit.registry import rule_for


class AuditTrailMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or not 200 <= response.status_code < 300:
            return response
        rule = rule_for(match.view_name)
        if rule is None or request.method not in rule.methods:
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        ref = match.kwargs.get(rule.kwarg, "") if rule.kwarg else ""
        details = {}
        if not rule.kwarg and request.GET:
            details["query"] = request.GET.urlencode()[:500]
        recipient = getattr(request, "audit_recipient", "")
        if not recipient and rule.action != AuditAction.VIEWED:
            recipient = user.get_username()
        record_buffered(
            rule.action,
            request=request,
            actor=user,
            object_type=rule.object_type,
            object_ref=ref,
            recipient=recipient,
            justification=getattr(request, "audit_justification", ""),
            details=details,
        )
        return response
