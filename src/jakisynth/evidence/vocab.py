"""Controlled vocabularies: drugs (name, class, WHO ATC code), conditions, clinical scenarios.

Stage "validated models" (data only). Drug ids are the lower snake_case INN; a paper that names
only a class gets a class-level id (``systemic_glucocorticoid``, ``antimetabolite``) with no
single ATC code. ATC codes are the WHO Collaborating Centre's (ATC/DDD Index 2024); the JAK
inhibitors moved to L04AF in 2022 and vedolizumab to L04AG in 2023.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class Drug:
    id: str
    name: str
    drug_class: str
    atc: str | None  # None: a procedure or a class without a single code


@dataclass(frozen=True)
class Condition:
    id: str
    label: str
    group: str


def _drugs(*rows) -> dict[str, Drug]:
    return {r[0]: Drug(*r) for r in rows}


DRUGS: dict[str, Drug] = _drugs(
    # JAK inhibitors
    ("tofacitinib", "tofacitinib", "JAK inhibitor", "L04AF01"),
    ("baricitinib", "baricitinib", "JAK inhibitor", "L04AF02"),
    ("upadacitinib", "upadacitinib", "JAK inhibitor", "L04AF03"),
    ("ruxolitinib", "ruxolitinib", "JAK inhibitor", "L01EJ01"),
    # glucocorticoids
    ("systemic_glucocorticoid", "systemic glucocorticoid (unspecified)", "glucocorticoid", "H02AB"),
    ("methylprednisolone", "methylprednisolone", "glucocorticoid", "H02AB04"),
    ("prednisone", "prednisone", "glucocorticoid", "H02AB07"),
    ("prednisolone", "prednisolone", "glucocorticoid", "H02AB06"),
    ("dexamethasone", "dexamethasone", "glucocorticoid", "H02AB02"),
    ("hydrocortisone", "hydrocortisone", "glucocorticoid", "H02AB09"),
    # conventional immunosuppressants
    ("antimetabolite", "antimetabolite (unspecified)", "antimetabolite", None),
    ("mycophenolate_mofetil", "mycophenolate mofetil", "antimetabolite", "L04AA06"),
    ("methotrexate", "methotrexate", "antimetabolite", "L04AX03"),
    ("azathioprine", "azathioprine", "antimetabolite", "L04AX01"),
    ("leflunomide", "leflunomide", "antimetabolite", "L04AK01"),
    ("tacrolimus", "tacrolimus", "calcineurin inhibitor", "L04AD02"),
    ("cyclosporine", "ciclosporin", "calcineurin inhibitor", "L04AD01"),
    ("cyclophosphamide", "cyclophosphamide", "alkylating agent", "L01AA01"),
    ("hydroxychloroquine", "hydroxychloroquine", "antimalarial", "P01BA02"),
    ("quinacrine", "quinacrine (mepacrine)", "antimalarial", "P01AX05"),
    ("immunosuppressant_other", "other immunosuppressant (unspecified)", "other", None),
    # biologics and others
    ("infliximab", "infliximab", "TNF inhibitor", "L04AB02"),
    ("adalimumab", "adalimumab", "TNF inhibitor", "L04AB04"),
    ("tocilizumab", "tocilizumab", "IL-6 inhibitor", "L04AC07"),
    ("rituximab", "rituximab", "anti-CD20", "L01FA01"),
    ("abatacept", "abatacept", "T-cell costimulation modulator", "L04AA24"),
    ("vedolizumab", "vedolizumab", "integrin inhibitor", "L04AG05"),
    ("ivig", "intravenous immunoglobulin", "immunoglobulin", "J06BA02"),
    ("plasma_exchange", "plasma exchange", "procedure", None),
    ("anti_thymocyte_globulin", "anti-thymocyte globulin", "polyclonal antibody", "L04AA04"),
)

#: Abbreviations as printed in the seed papers' tables -> drug id.
ABBREVIATIONS: dict[str, str] = {
    "AZA": "azathioprine", "CP": "cyclophosphamide", "HCQ": "hydroxychloroquine",
    "intravenous IG": "ivig", "IVIG": "ivig", "LEF": "leflunomide", "MMF": "mycophenolate_mofetil",
    "MTX": "methotrexate", "QUI": "quinacrine", "RTX": "rituximab", "TAC": "tacrolimus",
    "TOF": "tofacitinib", "UPA": "upadacitinib",
}

#: Condition groups: the labels of the subgroups "by: condition" (one spelling each, issue 11:
#: a singular "immune-related adverse event" beside the plan's plural once split a subgroup).
CONDITION_GROUPS: dict[str, str] = {
    "irae": "immune-related adverse events",
    "iim": "idiopathic inflammatory myositis",
}
IRAE, IIM = CONDITION_GROUPS["irae"], CONDITION_GROUPS["iim"]

CONDITIONS: dict[str, Condition] = {c.id: c for c in (
    Condition("ir_myocarditis", "immune-related myocarditis", IRAE),
    Condition("ir_myositis", "immune-related myositis", IRAE),
    Condition("ir_myasthenia", "immune-related myasthenia gravis", IRAE),
    Condition("ir_hepatitis", "immune-related hepatitis", IRAE),
    Condition("ir_colitis", "immune-related colitis", IRAE),
    Condition("ir_pneumonitis", "immune-related pneumonitis", IRAE),
    Condition("ir_arthritis", "immune-related arthritis", IRAE),
    Condition("ir_nephritis", "immune-related nephritis", IRAE),
    Condition("ir_dermatitis", "immune-related dermatitis", IRAE),
    Condition("ir_multi_organ", "multi-organ immune-related adverse events",
              IRAE),
    Condition("ir_other", "other immune-related adverse event", IRAE),
    Condition("dermatomyositis_classic", "classic dermatomyositis", IIM),
    Condition("dermatomyositis_amyopathic", "amyopathic dermatomyositis",
              IIM),
    Condition("antisynthetase_syndrome", "antisynthetase syndrome", IIM),
)}

SCENARIOS: dict[str, str] = {
    "life_threatening": "life-threatening presentation",
    "steroid_resistant": "steroid-resistant",
    "steroid_taper_failure": "relapse during steroid taper",
    "refractory": "refractory to prior immunosuppression",
    "mixed": "mixed scenarios",
}


def is_known_drug(drug_id: str) -> bool:
    return drug_id in DRUGS


def suggest_drug(drug_id: str) -> list[str]:
    return difflib.get_close_matches(str(drug_id), list(DRUGS), n=3)


def subgroup_vocabulary(by: str) -> dict[str, str]:
    """id -> label of the subgroup values "by" ``drug``, ``condition`` (its group) or ``scenario``."""
    if by == "drug":
        return {d.id: d.name for d in DRUGS.values() if d.drug_class == "JAK inhibitor"}
    if by == "condition":
        return dict(CONDITION_GROUPS)
    if by == "scenario":
        return dict(SCENARIOS)
    raise InputError(f"by: subgroups are by drug, condition or scenario, not {by!r}")


def subgroup_id(by: str, value: str) -> str | None:
    """The vocabulary id a plan's subgroup value names, or ``None``: the value is an id or a
    label of :func:`subgroup_vocabulary` (case as written), optionally followed by a qualifier in
    parentheses ("mixed (life-threatening, steroid-resistant, taper failure)")."""
    head = str(value).split(" (", 1)[0].strip() if str(value).endswith(")") else str(value).strip()
    for key, label in subgroup_vocabulary(by).items():
        if head in (key, label):
            return key
    return None


def suggest_subgroup(by: str, value: str) -> list[str]:
    table = subgroup_vocabulary(by)
    return difflib.get_close_matches(str(value), list(table.values()) + list(table), n=2)
