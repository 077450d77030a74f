"""The API answers as its OpenAPI schema says: a bounded schemathesis run with every check.

The schema is read from the application in-process (WSGI), each operation is called with
a few generated requests by an investigator's read-and-write API token, and every answer
is checked against the schema (status codes, media types, headers, bodies) and for server
errors. The run is deterministic (``derandomize``), so a failure here fails the same way
on the next run.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS, load_all_checks

from accounts import actions
from accounts.choices import TokenScope
from coordination.wsgi import application

pytestmark = pytest.mark.django_db

load_all_checks()
ALL_CHECKS = CHECKS.get_all()

# Schema-valid requests that still answer 400, by nature rather than by a fault of the
# schema: their body or filter names another object (an incident reference, an agency id)
# or a credential, and generated values name none that exists; or a value is bounded more
# narrowly than its format can say. Every other check applies
# to them, and every check to every other operation.
NAMES_OTHER_OBJECTS = [
    # username and password of an existing account (failed sign-ins lock out: 429)
    "POST /api/v1/auth/token/",
    "POST /api/v1/evidence/",  # incident
    "GET /api/v1/evidence/",  # holder: an agency id
    "POST /api/v1/indicators/",  # incident
    "POST /api/v1/indicators/bulk/",  # incident
    "POST /api/v1/requests/",  # incident, receiving agency
    # added_after/added_before: the date-time format allows offsets up to 23:59, real
    # time zones end at 14:00, and a larger one is refused (400).
    "GET /api/v1/indicators/",
]
CONFIG = schemathesis.Config.from_dict(
    {
        "operations": [
            *(
                {
                    "include-name": name,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
                        }
                    },
                }
                for name in NAMES_OTHER_OBJECTS
            ),
        ]
    }
)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.fixture
def _connection_kept_across_requests():
    """The requests go through the WSGI handler, whose end-of-request signal closes the
    database connection, and with it the test's transaction. Django's test client keeps
    it open the same way, for the duration of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(lead_user, _connection_kept_across_requests):
    return actions.create_api_token(
        lead_user, name="Schema check", scope=TokenScope.READ_WRITE, days=1
    )[1]


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_its_schema_says(case, api_key):
    case.call_and_validate(headers={"Authorization": f"Token {api_key}"}, checks=ALL_CHECKS)
