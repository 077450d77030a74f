"""The audit trail: ``record()`` for security events, the middleware for reads."""

from coordination.audit.recorder import record, record_buffered

__all__ = ["record", "record_buffered"]
