from .attachment import EntryAttachment
from .evidence import CustodyEvent, Evidence
from .incident import Incident, IncidentGroupObjectPermission, IncidentUserObjectPermission
from .participation import Participation
from .reference import ReferenceSequence, allocate_reference
from .tag import IncidentTag
from .timeline import TimelineEntry

__all__ = [
    "CustodyEvent",
    "EntryAttachment",
    "Evidence",
    "Incident",
    "IncidentGroupObjectPermission",
    "IncidentTag",
    "IncidentUserObjectPermission",
    "Participation",
    "ReferenceSequence",
    "TimelineEntry",
    "allocate_reference",
]
