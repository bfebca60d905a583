"""Which figures a run draws, and the data each is given (plotting itself computes nothing).

Stage "plots" (selection). :func:`figure_specs` yields one :class:`FigureSpec` per figure: one
forest plot per pooled analysis (primary and sensitivity), one per subgroup variable, the
cumulative meta-analysis, and one patients x prior-therapies figure per series with patient
rows. Each spec carries the exact inputs of its drawing, so a run can tell whether a figure
already on disk was drawn from the same inputs (:attr:`FigureSpec.key`) and reuse it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..synthesis.analysis import PlanResults
from .files import stable_floats
from ..synthesis.prior_therapy import patient_therapy_matrix


@dataclass(frozen=True)
class FigureSpec:
    name: str
    inputs: dict  # JSON-able: everything the drawing depends on besides the code (see stable_floats)
    draw: Callable[[], object]  # returns a matplotlib Figure

    @property
    def key(self) -> str:
        """sha256 of the inputs, the plotting code and the matplotlib version."""
        from importlib import metadata

        from . import plotting

        code = Path(plotting.__file__).read_bytes()
        payload = json.dumps(self.inputs, sort_keys=True, allow_nan=False).encode("utf-8")
        digest = hashlib.sha256(payload)
        digest.update(hashlib.sha256(code).digest())
        digest.update(metadata.version("matplotlib").encode("utf-8"))
        return digest.hexdigest()


def figure_specs(results: PlanResults, studies: dict[str, dict]) -> list[FigureSpec]:
    from . import plotting

    specs = []
    for analysis in results.analyses:
        role = "Primary analysis" if analysis.spec.role == "primary" else "Sensitivity analysis"
        inputs = {"result": stable_floats(analysis.result.to_dict()),
                  "title": f"{role}: {analysis.spec.label}",
                  "model_label": analysis.result.model_label()}
        specs.append(FigureSpec(f"forest_{analysis.spec.id}", inputs,
                                lambda i=inputs: plotting.forest_plot(
                                    i["result"], title=i["title"], model_label=i["model_label"])))
    for sid, sg in results.subgroups:
        inputs = {"result": stable_floats(sg.overall.to_dict()),
                  "title": f"Subgroups by {sg.variable}",
                  "subgroups": [{"label": g, "result": stable_floats(r.to_dict())}
                                for g, r in sg.subgroups.items()],
                  "subgroup_test": None if sg.Q_between is None else
                  stable_floats({"Q": sg.Q_between, "df": sg.df, "p": sg.p_value}),
                  "model_label": sg.overall.model_label()}
        specs.append(FigureSpec(f"forest_subgroups_{sid}", inputs,
                                lambda i=inputs: plotting.forest_plot(
                                    i["result"], title=i["title"], subgroups=i["subgroups"],
                                    subgroup_test=i["subgroup_test"], model_label=i["model_label"])))
    if results.cumulative is not None:
        frame = results.cumulative.to_frame()
        inputs = {"rows": stable_floats(frame.to_dict(orient="records")),
                  "title": "Cumulative meta-analysis by publication date"}
        specs.append(FigureSpec("cumulative", inputs,
                                lambda f=frame, i=inputs: plotting.cumulative_plot(f, title=i["title"])))
    for sid in sorted(studies):
        matrix = patient_therapy_matrix(studies[sid], sid)
        if matrix is None:
            continue
        inputs = {"patients": matrix.patients, "therapies": matrix.therapies,
                  "status": sorted([list(k) + [v] for k, v in matrix.status.items()]),
                  "title": f"Prior therapies per patient: {matrix.label}"}
        specs.append(FigureSpec(f"prior_therapy_{sid}", inputs,
                                lambda m=matrix, i=inputs: plotting.prior_therapy_matrix_plot(
                                    m.patients, m.therapies, m.status, title=i["title"])))
    return specs
