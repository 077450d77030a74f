"""Multipart uploads of the API that stream their files through the hashing handler."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.parsers import MultiPartParser

from incidents.evidence import actions, storage


class UploadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The upload is too large.")
    default_code = "upload_too_large"


class HashingMultiPartParser(MultiPartParser):
    """Multipart bodies whose files stream to disk through the hashing handler.

    A body whose declared size is more than one upload may be, or than the caller's
    agency has left, is refused (413) before it is read; one that passes the limit while
    streaming is cut off there (413), its part file deleted.
    """

    # The field the 413's messages are given under.
    field = "file"

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        django_request = getattr(request, "_request", request)
        size = storage.declared_upload_size(django_request)
        if size:
            try:
                actions.check_upload(request.user.agency_id, size)
            except ValidationError as exc:
                raise UploadTooLarge({self.field: exc.messages}) from None
        django_request.upload_handlers = [storage.HashingUploadHandler(django_request)]
        parsed = super().parse(stream, media_type, parser_context)
        refused = storage.refusal(django_request)
        if refused:
            raise UploadTooLarge({self.field: [refused]})
        return parsed
