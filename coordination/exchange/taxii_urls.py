from django.urls import path, re_path

from coordination.exchange import taxii

app_name = "taxii"

COLLECTION = "api/collections/<uuid:collection_id>/"

urlpatterns = [
    path("", taxii.DiscoveryView.as_view(), name="discovery"),
    path("api/", taxii.APIRootView.as_view(), name="api_root"),
    path("api/collections/", taxii.CollectionsView.as_view(), name="collections"),
    path(COLLECTION, taxii.CollectionView.as_view(), name="collection"),
    path(f"{COLLECTION}objects/", taxii.ObjectsView.as_view(), name="objects"),
    path(f"{COLLECTION}objects/<str:object_id>/", taxii.ObjectView.as_view(), name="object"),
    path(
        f"{COLLECTION}objects/<str:object_id>/versions/",
        taxii.ObjectView.as_view(versions_only=True),
        name="object_versions",
    ),
    path(f"{COLLECTION}manifest/", taxii.ManifestView.as_view(), name="manifest"),
    # Anything else (another API root, a collection id that is not a UUID, a status
    # resource) answers a TAXII 404, not the site's HTML page.
    re_path(r"^.*$", taxii.NotFoundView.as_view(), name="not_found"),
]
