"""Fixtures the attacks borrow from other apps' test folders (cross-border requests)."""

from tests.assistance.conftest import de_liaison, nl_agency, nl_liaison  # noqa: F401
