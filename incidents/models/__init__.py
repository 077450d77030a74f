from .attachment import EntryAttachment
from .evidence import CustodyEvent, CustodyVerification, Evidence
from .incident import Incident, IncidentGroupObjectPermission, IncidentUserObjectPermission
from .participation import Participation
from .reference import ReferenceSequence, allocate_reference
from .tag import IncidentTag
from .task import CaseTemplate, CaseTemplateStep, Task
from .timeline import TimelineEntry

__all__ = [
    "CaseTemplate",
    "CaseTemplateStep",
    "CustodyEvent",
    "CustodyVerification",
    "EntryAttachment",
    "Evidence",
    "Incident",
    "IncidentGroupObjectPermission",
    "IncidentTag",
    "IncidentUserObjectPermission",
    "Participation",
    "ReferenceSequence",
    "Task",
    "TimelineEntry",
    "allocate_reference",
]
