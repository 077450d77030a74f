"""Response headers: a strict Content-Security-Policy, and no caching of private answers;
JSON for API paths that match no URL."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The API docs page (Swagger UI) ships its own inline bootstrap script.
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer given to someone signed in.

    Case pages, PDFs, exports and evidence files must not stay in a browser's disk cache
    or a shared proxy once the session ends. An answer is private when the request was
    authenticated (session user, or an ``Authorization`` header for tools) or a session
    cookie travels either way. Static files are answered by WhiteNoise above this
    middleware and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _private(request, response):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _private(request, response):
    cookie = settings.SESSION_COOKIE_NAME
    if cookie in request.COOKIES or cookie in response.cookies:
        return True
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class ApiNotFoundMiddleware:
    """A path under /api/ that matches no URL answers JSON, as the API's other errors do.

    DRF answers JSON for the objects its views do not find; a path the URL patterns do not
    match (``/api/v1/agencies/x/`` where an id is a number) got the site's HTML page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return JsonResponse({"detail": str(_("Not found."))}, status=404)
        return response
