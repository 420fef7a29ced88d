"""Pure dispatch domain: the routing table, the incident and assignment state machines, field cleaning.

Standard library only; no I/O except reading the packaged routing table; time is always a parameter.
"""

from routing.assignment import AlreadyDone, TransitionRefused, advance, steps_ahead
from routing.errors import RoutingError
from routing.fields import FieldError, clean_text, mask_phone, normalise_phone
from routing.incident import IncidentRefused, end, format_number
from routing.model import (
    Agency,
    AssignmentState,
    Category,
    IncidentState,
    Kelurahan,
    Location,
    Priority,
)
from routing.table import RoutingTable, load_routing, validate_agency_codes

__all__ = [
    "Agency",
    "AlreadyDone",
    "AssignmentState",
    "Category",
    "FieldError",
    "IncidentRefused",
    "IncidentState",
    "Kelurahan",
    "Location",
    "Priority",
    "RoutingError",
    "RoutingTable",
    "TransitionRefused",
    "advance",
    "clean_text",
    "end",
    "format_number",
    "load_routing",
    "mask_phone",
    "normalise_phone",
    "steps_ahead",
    "validate_agency_codes",
]
