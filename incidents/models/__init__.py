from .evidence import CustodyEvent, Evidence
from .incident import Incident, IncidentGroupObjectPermission, IncidentUserObjectPermission
from .participation import Participation
from .reference import ReferenceSequence, allocate_reference
from .task import CaseTemplate, CaseTemplateStep, Task
from .timeline import TimelineEntry

__all__ = [
    "CaseTemplate",
    "CaseTemplateStep",
    "CustodyEvent",
    "Evidence",
    "Incident",
    "IncidentGroupObjectPermission",
    "IncidentUserObjectPermission",
    "Participation",
    "ReferenceSequence",
    "Task",
    "TimelineEntry",
    "allocate_reference",
]
