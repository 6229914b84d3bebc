"""What a child's placement, legal status and plan may be: the words of ``applies_to``.

A module of its own, free of the models, so that the command line can list them in its help
without loading pydantic.
"""

from __future__ import annotations

from typing import Literal, get_args

#: ``parents_before_assessment``: placed with a parent before that parent's assessment is complete
#: (CPPCR 2010 reg 19), after the others so that their numbers in a run's records do not change.
Placement = Literal[
    "foster_care",
    "connected_person",
    "parents",
    "residential",
    "independent_living",
    "other",
    "parents_before_assessment",
]
LegalStatus = Literal["care_order", "interim_care_order", "section_20", "placement_order", "other"]
Plan = Literal["adoption", "long_term_fostering", "special_guardianship", "return_home", "other"]
PLACEMENTS: tuple[str, ...] = get_args(Placement)
LEGAL_STATUSES: tuple[str, ...] = get_args(LegalStatus)
PLANS: tuple[str, ...] = get_args(Plan)
