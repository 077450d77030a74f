"""Concord's settings without the audit trail's record of reads: for run_bench.py's
``--audit-reads off`` only, to show what recording consultations costs a page."""

from coordination.settings import *
from coordination.settings import MIDDLEWARE

MIDDLEWARE = [
    name for name in MIDDLEWARE if name != "coordination.audit.middleware.AuditTrailMiddleware"
]
