"""Shared pieces of the REST API: authentication, pagination, error mapping, UTC times.

Every API view of the project builds on ``APIViewMixin``: it answers errors raised by
the business actions the same way everywhere (400 with field messages for a Django
``ValidationError``, 403 for ``PermissionDenied``, 409 for a refused transition or a
lost race) and writes every time in ISO 8601 UTC whatever the caller's time zone.
"""

import datetime

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator as DjangoPaginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.api.authentication import SecondFactorSessionAuthentication
from accounts.authentication import ApiTokenAuthentication
from accounts.choices import stored_country_codes
from coordination.parsers import too_deep_message
from incidents.exceptions import ConcurrentChange, TransitionNotAllowed

# Token first: DRF takes the first class's challenge for its WWW-Authenticate header,
# so an anonymous call answers 401 (with "Token") rather than a bare 403. A session counts
# once it passed the second factor.
API_AUTHENTICATION_CLASSES = [ApiTokenAuthentication, SecondFactorSessionAuthentication]


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def __init__(self):
        super().__init__()
        # A view that can count its rows more cheaply than ``COUNT(*)`` sets this first.
        self.known_count = None
        # True when ``known_count`` is a floor: there are more rows than ``count`` says.
        self.count_capped = False

    def capped_count(self, queryset, request, floor):
        """Count ``queryset`` only as far as needed: at least ``floor`` rows, and past the
        requested page, so a next page is always offered while there is one. Sets the
        count and ``count_capped``."""
        try:
            page = max(1, int(request.query_params.get(self.page_query_param) or 1))
        except ValueError:
            page = 1
        limit = max(floor, (page + 1) * self.get_page_size(request))
        counted = queryset.order_by()[: limit + 1].count()
        self.known_count, self.count_capped = min(counted, limit), counted > limit

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.count_capped
        return response

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count_capped"] = {
            "type": "boolean",
            "example": False,
            "description": "True when there are more rows than count says (a large "
            "filtered list is counted only so far).",
        }
        return described

    def get_page_size(self, request):
        """``page_size`` as asked, at most ``max_page_size``; anything but a positive
        integer is a 400 (DRF would quietly use the default)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("A whole number of at least 1.")]}
            )
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
        return parameters

    def django_paginator_class(self, object_list, per_page):
        paginator = DjangoPaginator(object_list, per_page)
        if self.known_count is not None:
            paginator.count = self.known_count  # overrides the cached property
        return paginator


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The object changed meanwhile. Reload and try again.")
    default_code = "conflict"


def validation_error_detail(exc):
    """A Django ``ValidationError`` as DRF error detail: field messages where it has them."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


def exception_handler(exc, context):
    """DRF's handler, plus the exceptions raised by the project's business actions."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, TransitionNotAllowed):
        return Response(
            {"detail": exc.message, "allowed": [str(value) for value in exc.allowed]},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, ConcurrentChange):
        exc = Conflict(exc.message)
    elif isinstance(exc, RecursionError):
        # A view that names DRF's own JSON parser reads a deeply nested body without the
        # bound of coordination.parsers: still a 400, never a 500.
        exc = exceptions.ParseError(too_deep_message())
    return drf_exception_handler(exc, context)


class APIViewMixin:
    """Authentication, pagination and error mapping shared by every API view."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    pagination_class = Pagination

    def get_exception_handler(self):
        return exception_handler


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC ("…Z") for output; input without an offset is read as UTC."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(*args, **kwargs)


class StrictBooleanField(serializers.BooleanField):
    """true or false, as the schema says: DRF would also read 0, 1, "yes" or "on"."""

    JSON_VALUES = {True: True, False: False}
    FORM_VALUES = {"true": True, "false": False, "True": True, "False": False}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data in self.FORM_VALUES:
            return self.FORM_VALUES[data]
        self.fail("invalid", input=data)


class StrictCharField(serializers.CharField):
    """Text, as the schema says: DRF would also take a number and make it text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.DateTimeField: UTCDateTimeField,
        models.BooleanField: StrictBooleanField,
    }

    # DRF drops ``allow_blank`` from read-only fields; the schema then says that a text or
    # choice the model may leave blank is never "", and the answers contradict it.
    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if (
            kwargs.get("read_only")
            and getattr(model_field, "blank", False)
            and isinstance(model_field, models.CharField | models.TextField)
            and issubclass(field_class, serializers.CharField | serializers.ChoiceField)
        ):
            kwargs["allow_blank"] = True
        return field_class, kwargs

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs


class _StoredCountryCodes:
    """Read a model's country field as stored, without django-countries' descriptor.

    The descriptor builds a translated ``Country`` for every code on every access; an
    API page of 25 incidents read about 200 of them only to output their codes.
    """

    def get_attribute(self, instance):
        if isinstance(instance, models.Model) and len(self.source_attrs) == 1:
            name = self.source_attrs[0]
            if name in instance.__dict__:
                return stored_country_codes(instance, name)
        return super().get_attribute(instance)


class CountryCodeField(_StoredCountryCodes, serializers.CharField):
    """A country as its ISO 3166-1 alpha-2 code; input is upper-cased and checked."""

    default_error_messages = {"invalid_country": _("“{value}” is not an ISO 3166-1 country code.")}

    def to_representation(self, value):
        return getattr(value, "code", value) or ""

    def to_internal_value(self, data):
        from django_countries import countries

        code = super().to_internal_value(data).strip().upper()
        if code not in countries:
            self.fail("invalid_country", value=data)
        return code


class CountryCodeListField(_StoredCountryCodes, serializers.ListField):
    """Several countries as a sorted list of distinct ISO codes."""

    child = CountryCodeField()

    def to_representation(self, data):
        return [self.child.to_representation(item) for item in data or ()]

    def to_internal_value(self, data):
        return sorted(set(super().to_internal_value(data)))


def country_codes():
    """Every ISO 3166-1 code the country fields accept (the schema's CountryCodeEnum)."""
    from django_countries import countries

    return sorted(code for code, _name in countries)


def country_code_schema(*, allow_blank=False):
    return {
        "type": "string",
        "enum": [*country_codes(), *([""] if allow_blank else [])],
        "example": "DE",
        "description": "ISO 3166-1 alpha-2 country code.",
    }


class CountryCodeFieldSchema(OpenApiSerializerFieldExtension):
    """One code as a string; "" where the field allows a blank (no country named)."""

    target_class = CountryCodeField

    def map_serializer_field(self, auto_schema, direction):
        return country_code_schema(allow_blank=self.target.allow_blank)


class CountryCodeListFieldSchema(OpenApiSerializerFieldExtension):
    """Several codes as an array of strings (the field's output is a list)."""

    target_class = CountryCodeListField

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "array",
            "items": country_code_schema(),
            "description": "ISO 3166-1 alpha-2 country codes, sorted and distinct.",
        }


# Free text may be empty (no filter); so may an ordering (the default order).
TEXT_OR_ORDER = (django_filters.CharFilter, django_filters.OrderingFilter)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, refusing (400) what it would otherwise silently ignore.

    An empty value of a filter that is not free text, and a boolean filter given
    anything but ``true`` or ``false``, would mean "no filter": a caller who made a typo
    would get every row and believe them filtered.
    """

    BOOLEAN_VALUES = frozenset({"true", "false"})

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {}
            for name, filter_ in filterset.filters.items():
                for value in request.query_params.getlist(name):
                    if value == "" and not isinstance(filter_, TEXT_OR_ORDER):
                        errors[name] = [_("Give a value, or leave this filter out.")]
                    elif (
                        isinstance(filter_, django_filters.BooleanFilter)
                        and value not in self.BOOLEAN_VALUES
                    ):
                        errors[name] = [_("Must be true or false.")]
            if errors:
                raise exceptions.ValidationError(errors)
        return filterset
