"""Containment that keeps care running: actions, plans, care impact, ranking, exports.

The planner proposes plans for a `Situation` (`candidate_plans`); `care_impact` says which
care services lose which dependency; `check_plan` refuses a vital cut that nobody confirmed
(`confirm_vital` records the confirmation in the plan); `rank_plans` orders plans by machines
saved against care cut with an injected what-if engine; `review_egress` lists observed flows an
internet cut would stop that look vital; `rempart.contain.export` writes the firewall rules.
"""

from rempart.contain.actions import (
    LATERAL_PROTOCOLS,
    PROTOCOL_PORTS,
    Action,
    ActionText,
    AllowedEndpoint,
    BlockDomains,
    BlockIndicators,
    BlockProtocolsBetweenZones,
    BlockProtocolsWithinZones,
    BlockSenders,
    Confirmation,
    CutEgressExcept,
    DisableAccounts,
    HostRef,
    IsolateZones,
    Plan,
    PurgeEmailCampaign,
    QuarantineHosts,
)
from rempart.contain.allowlist import (
    VITAL_KINDS,
    EgressReview,
    KeptPartner,
    StoppedFlow,
    review_egress,
    vital_partners,
)
from rempart.contain.impact import (
    CareImpact,
    ImpactItem,
    Level,
    VitalCutsUnconfirmed,
    Why,
    apply_confirmations,
    care_impact,
    check_plan,
    confirm_vital,
    parse_confirmation,
)
from rempart.contain.planner import candidate_plans, egress_cut, hygiene_actions, vital_keeps
from rempart.contain.rank import (
    NO_ACTION,
    ControlsSpec,
    Interval,
    RankedPlan,
    WhatIfEstimate,
    order_by_care,
    plan_to_controls_spec,
    rank_plans,
)
from rempart.contain.situation import Situation, dump_situation, load_situation

__all__ = [
    "LATERAL_PROTOCOLS",
    "NO_ACTION",
    "PROTOCOL_PORTS",
    "VITAL_KINDS",
    "Action",
    "ActionText",
    "AllowedEndpoint",
    "BlockDomains",
    "BlockIndicators",
    "BlockProtocolsBetweenZones",
    "BlockProtocolsWithinZones",
    "BlockSenders",
    "CareImpact",
    "Confirmation",
    "ControlsSpec",
    "CutEgressExcept",
    "DisableAccounts",
    "EgressReview",
    "HostRef",
    "ImpactItem",
    "Interval",
    "IsolateZones",
    "KeptPartner",
    "Level",
    "Plan",
    "PurgeEmailCampaign",
    "QuarantineHosts",
    "RankedPlan",
    "Situation",
    "StoppedFlow",
    "VitalCutsUnconfirmed",
    "WhatIfEstimate",
    "Why",
    "apply_confirmations",
    "candidate_plans",
    "care_impact",
    "check_plan",
    "confirm_vital",
    "dump_situation",
    "egress_cut",
    "hygiene_actions",
    "load_situation",
    "order_by_care",
    "parse_confirmation",
    "plan_to_controls_spec",
    "rank_plans",
    "review_egress",
    "vital_keeps",
    "vital_partners",
]
