"""Which figures a run draws, and the data each is given (drawing itself computes nothing).

Stage "report" (selection). :func:`figure_specs` yields one :class:`FigureSpec` per figure: one
forest plot per pooled analysis (primary and sensitivity), one per subgroup variable, the
cumulative meta-analysis, and one patients x prior-therapies figure per series with patient
rows. A spec is data only (a ``kind`` and JSON-able ``inputs``): it pickles, so figures can be
drawn in spawned processes, and :func:`draw` dispatches on the kind. :attr:`FigureSpec.key`
tells whether a figure already on disk was drawn from the same inputs and code, so that a run
can reuse it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..evidence import vocab
from ..stats import format as fmt
from ..synthesis.analysis import PlanResults
from ..synthesis.decision import robustness_panel
from ..synthesis.prior_therapy import patient_therapy_matrix
from .files import stable_floats

#: Every module whose code decides how a figure looks (hashed into the figure keys).
DRAWING_MODULES = ("figures", "figure_base", "forest", "forest_rows", "cumulative_plot",
                   "matrix_plot", "robustness_plot")


@dataclass(frozen=True)
class FigureSpec:
    name: str
    kind: str  # "forest", "cumulative", "robustness" or "prior_therapy": which function draws it
    inputs: dict  # JSON-able: everything the drawing depends on besides the code

    @property
    def key(self) -> str:
        """sha256 of the kind, the inputs, the package version, the source of every drawing
        module and the matplotlib version."""
        payload = json.dumps({"kind": self.kind, "inputs": self.inputs}, sort_keys=True,
                             allow_nan=False).encode("utf-8")
        digest = hashlib.sha256(payload)
        digest.update(_code_digest())
        return digest.hexdigest()


def _code_digest() -> bytes:
    from importlib import metadata

    # the package version as installed (the top-level __version__, which report may not import)
    digest = hashlib.sha256(f"jakisynth {metadata.version('jakisynth')}\n".encode())
    here = Path(__file__).parent
    for module in DRAWING_MODULES:
        digest.update(module.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256((here / f"{module}.py").read_bytes()).digest())
    digest.update(f"matplotlib {metadata.version('matplotlib')}".encode())
    return digest.digest()


def draw(spec: FigureSpec):
    """The matplotlib Figure of ``spec`` (dispatched on ``spec.kind``)."""
    i = spec.inputs
    if spec.kind == "forest":
        from .forest import forest_plot

        return forest_plot(i["result"], title=i["title"], subgroups=i.get("subgroups"),
                           subgroup_test=i.get("subgroup_test"), model_label=i["model_label"],
                           common=i.get("common", True))
    if spec.kind == "cumulative":
        from .cumulative_plot import cumulative_plot

        return cumulative_plot(i["rows"], title=i["title"], level=i["level"])
    if spec.kind == "robustness":
        from .robustness_plot import robustness_plot

        return robustness_plot(i["rows"], thresholds=i["thresholds"], title=i["title"],
                               level=i["level"])
    if spec.kind == "prior_therapy":
        from .matrix_plot import prior_therapy_matrix_plot

        status = {(p, t): s for p, t, s in i["status"]}
        return prior_therapy_matrix_plot(i["patients"], i["therapies"], status, title=i["title"],
                                         labels=i["labels"])
    raise ValueError(f"internal error: unknown figure kind {spec.kind!r}")


def drug_label(drug_id: str) -> str:
    """The vocabulary name of a drug id ('ivig' -> 'intravenous immunoglobulin'); an unknown
    id as it is."""
    return vocab.DRUGS[drug_id].name if drug_id in vocab.DRUGS else drug_id


def subgroup_title(variable: str) -> str:
    """'Subgroups by JAK inhibitor', 'Subgroups by condition treated' (one style: sentence
    case, acronyms kept)."""
    return f"Subgroups by {fmt.in_sentence(variable)}"


def group_label(by: str, group: str) -> str:
    """A subgroup's label as shown: drug ids by their vocabulary name, sentence case."""
    return fmt.sentence(drug_label(group) if by == "drug" else group)


def figure_specs(results: PlanResults, studies: dict[str, dict]) -> list[FigureSpec]:
    specs = []
    for analysis in results.analyses:
        role = "Primary analysis" if analysis.spec.role == "primary" else "Sensitivity analysis"
        specs.append(FigureSpec(f"forest_{analysis.spec.id}", "forest", {
            "result": stable_floats(analysis.result.to_dict()),
            "title": f"{role}: {analysis.spec.label}",
            "model_label": analysis.result.model_label(), "common": True}))
    panel = robustness_panel(results)
    if panel.rows:
        specs.append(FigureSpec("robustness", "robustness", {
            "rows": stable_floats([r.to_dict() for r in panel.rows]),
            "thresholds": list(panel.thresholds), "level": panel.level,
            "title": f"Robustness to the model: {results.primary.spec.label}"}))
    by = {s.id: s.by for s in results.plan.subgroups}
    for sid, sg in results.subgroups:
        specs.append(FigureSpec(f"forest_subgroups_{sid}", "forest", {
            "result": stable_floats(sg.overall.to_dict()),
            "title": subgroup_title(sg.variable),
            "subgroups": [{"label": group_label(by.get(sid, ""), g),
                           "result": stable_floats(r.to_dict())}
                          for g, r in sg.subgroups.items()],
            "subgroup_test": None if sg.Q_between is None else
            stable_floats({"Q": sg.Q_between, "df": sg.df, "p": sg.p_value}),
            "model_label": sg.overall.model_label(), "common": True}))
    if results.cumulative is not None:
        frame = results.cumulative.to_frame()
        rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                for r in frame.to_dict(orient="records")]
        specs.append(FigureSpec("cumulative", "cumulative", {
            "rows": stable_floats(rows), "level": results.primary.result.level,
            "title": "Cumulative meta-analysis by publication date"}))
    for sid in sorted(studies):
        matrix = patient_therapy_matrix(studies[sid], sid)
        if matrix is None:
            continue
        specs.append(FigureSpec(f"prior_therapy_{sid}", "prior_therapy", {
            "patients": matrix.patients, "therapies": matrix.therapies,
            "labels": {t: drug_label(t) for t in matrix.therapies},
            "status": sorted([list(k) + [v] for k, v in matrix.status.items()]),
            "title": f"Prior therapies per patient: {matrix.label}"}))
    return specs
