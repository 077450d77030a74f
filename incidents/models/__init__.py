from .evidence import CustodyEvent, CustodyVerification, Evidence
from .incident import Incident, IncidentGroupObjectPermission, IncidentUserObjectPermission
from .participation import Participation
from .reference import ReferenceSequence, allocate_reference
from .timeline import TimelineEntry

__all__ = [
    "CustodyEvent",
    "CustodyVerification",
    "Evidence",
    "Incident",
    "IncidentGroupObjectPermission",
    "IncidentUserObjectPermission",
    "Participation",
    "ReferenceSequence",
    "TimelineEntry",
    "allocate_reference",
]
