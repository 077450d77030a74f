"""The register of service providers: where European Production and Preservation Orders go
(Regulation (EU) 2023/1543 Art. 7(1)). Reference data, not case content: any signed-in user
of an agency reads it; platform admins keep it in the Django admin."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_countries import countries as country_names

from coordination.assistance import provider_orders
from coordination.assistance.models import ProviderEstablishment, ServiceProvider

PAGE_SIZE = 25
MAX_QUERY = 100


def _countries(establishments):
    """The Member States where at least one provider receives orders, by name."""
    codes = set(establishments.values_list("country", flat=True).distinct())
    return sorted(((c, country_names.name(c)) for c in codes), key=lambda item: item[1])


@login_required
@require_GET
def provider_register(request):
    query = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    country = (request.GET.get("country") or "").strip().upper()[:2]
    active = ProviderEstablishment.objects.filter(is_active=True)
    establishments = active.order_by("country", "role")
    providers = ServiceProvider.objects.filter(is_active=True)
    if query:
        providers = providers.filter(
            Q(name__icontains=query)
            | Q(services__icontains=query)
            | Exists(active.filter(provider=OuterRef("pk"), name__icontains=query))
        )
    if country:
        providers = providers.filter(
            Exists(active.filter(provider=OuterRef("pk"), country=country))
        )
        establishments = establishments.filter(country=country)
    providers = providers.prefetch_related(
        Prefetch("establishments", queryset=establishments, to_attr="addressees")
    ).order_by("name", "pk")
    paginator = Paginator(providers, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "assistance/provider_register.html",
        {
            "page": page,
            "paginator": paginator,
            "q": query,
            "country": country,
            "countries": _countries(active),
            "is_filtered": bool(query or country),
        },
    )


def provider_order_context(obj, now):
    """What the request page shows of an order to a provider: addressee, notification,
    the enforcing authority's window and decision, the provider's answer."""
    refusal_until = provider_orders.refusal_window_end(obj)
    return {
        "addressee": obj.provider_addressee,
        "notification_needed": provider_orders.notification_needed(obj),
        "notification_required": (
            obj.notification_required if obj.sent_at else provider_orders.notification_required(obj)
        ),
        "refusal_until": refusal_until,
        "refusal_open": bool(refusal_until) and provider_orders.refusal_window_open(obj, now),
    }
