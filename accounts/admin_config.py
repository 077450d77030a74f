"""The Django admin app, with Concord's admin site (``accounts.admin_site``) as its site.

Apart from the site module so that loading the app registry imports no model.
"""

from django.contrib.admin.apps import AdminConfig


class SecondFactorAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.SecondFactorAdminSite"
