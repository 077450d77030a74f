import hashlib
from datetime import UTC, timedelta

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils.dateparse import parse_datetime

LEGACY_TABLE = "authtoken_token"


def _aware(value):
    """A raw cursor gives SQLite's datetimes as naive UTC text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return django.utils.timezone.now()
    if django.utils.timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def hash_legacy_tokens(apps, schema_editor):
    """Keep the tools of DRF's plain-text tokens working, then drop the plain-text table.

    Each former key is stored as its SHA-256, read-write (as it was), expiring in
    API_TOKEN_MAX_DAYS. ``rest_framework.authtoken`` is no longer installed, so its
    table is read with SQL, where it exists.
    """
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    q = schema_editor.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {q('key')}, {q('user_id')}, {q('created')} FROM {q(LEGACY_TABLE)}")
        rows = [(key, user_id, _aware(created)) for key, user_id, created in cursor.fetchall()]
    expires_at = django.utils.timezone.now() + timedelta(days=settings.API_TOKEN_MAX_DAYS)
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            name="API token",
            prefix=key[:6],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            scope="read_write",
            created_at=created,
            expires_at=expires_at,
        )
        for key, user_id, created in rows
    )
    schema_editor.execute(f"DROP TABLE {q(LEGACY_TABLE)}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "prefix",
                    models.CharField(editable=False, max_length=16, verbose_name="prefix"),
                ),
                ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                (
                    "scope",
                    models.CharField(
                        choices=[("read", "Read only"), ("read_write", "Read and write")],
                        default="read",
                        max_length=16,
                        verbose_name="scope",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="created"
                    ),
                ),
                ("expires_at", models.DateTimeField(verbose_name="expires")),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="last used"
                    ),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="revoked"
                    ),
                ),
                (
                    "revoked_reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("owner", "Revoked by its owner"),
                            ("agency_admin", "Revoked by an agency admin"),
                            ("platform_admin", "Revoked by a platform admin"),
                            ("password_changed", "Password changed"),
                            ("user_deactivated", "Account deactivated"),
                            ("agency_deactivated", "Agency deactivated"),
                        ],
                        editable=False,
                        max_length=32,
                        verbose_name="reason of revocation",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.RunPython(hash_legacy_tokens, migrations.RunPython.noop),
    ]
