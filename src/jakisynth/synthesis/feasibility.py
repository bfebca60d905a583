"""Can every model of the plan fit the series it gets? Rules on counts, checked before any fit.

Stage "synthesis" (it builds the rows exactly as :func:`~jakisynth.synthesis.analysis.run_plan`
will). ``jakisynth validate`` and ``jakisynth run`` both apply these rules, so that after a clean
``validate`` a run can fail only for reasons outside the evidence (disk, permissions). The rules
mirror the refusals of the fitting functions, for every set of rows a fit will see: each
analysis, each subgroup of the primary rows, each leave-one-out subset and each cumulative step:

- at least one row (an analysis whose series are all excluded has nothing to pool);
- Hartung-Knapp (``ci: hk``) needs k >= 2 for an analysis (the derived analyses switch to Wald
  themselves, with a caveat);
- the GLMM gives Wald intervals only (no ``ci: hk``), and cannot fit rows that all have 0 events
  or all have every patient with the event (the pooled logit is infinite; metafor's ``rma.glmm``
  stops too);
- every count is at most 2^53 (exact in float64).
"""

from __future__ import annotations

from ..errors import EvidenceError, Problem
from ..evidence.yamlio import format_path

MAX_EXACT_COUNT = 2**53


def check_feasible(plan, studies: dict[str, dict]) -> None:
    """Raise :class:`EvidenceError` with one Problem per analysis that cannot be fitted."""
    problems = feasibility_problems(plan, studies)
    if problems:
        raise EvidenceError(problems)


def plan_problems(evidence_dir, loaded: dict) -> list[Problem]:
    """The plan's problems (:func:`jakisynth.evidence.plan.plan_problems`) and, when there are
    none, the feasibility problems: what ``jakisynth validate`` reports for the plan."""
    from ..evidence.plan import load_plan

    try:
        plan = load_plan(evidence_dir, loaded)
    except EvidenceError as err:
        return list(err.problems)
    return feasibility_problems(plan, {sid: item.data for sid, item in loaded.items()})


def feasibility_problems(plan, studies: dict[str, dict]) -> list[Problem]:
    from .analysis import default_group, pooled_rows, row_order

    problems: list[Problem] = []
    cache: list = []

    def add(path: tuple, message: str):
        if not cache:  # the plan's lines, read only when there is a problem to place
            cache.append(_plan_lines(plan.file))
        lines = cache[0]
        path = _by_index(lines, path)
        problems.append(Problem(plan.file, lines.line_of(path) if lines else None,
                                format_path(path), message))

    order = row_order(plan, studies)
    primary_rows = None
    for spec in plan.analyses:
        path = ("primary",) if spec.role == "primary" else ("sensitivity", spec.id)
        for key, message in model_problems(spec.model):
            add((*path, "model", key) if key else (*path, "model"),
                f"analysis {spec.id!r}: {message}")
        rows = pooled_rows(spec, studies, order)
        if spec.role == "primary":
            primary_rows = rows
        for row in rows:
            if row.total < 1:
                add(path, f"{row.label}: a total of {row.total} patients gives no proportion")
            if row.total > MAX_EXACT_COUNT:
                add(path, f"{row.label}: a total of {row.total} is beyond 2^53, the largest "
                          "count computed exactly (float64)")
        counts = [(r.events, r.total) for r in rows]
        if not counts:
            add(path, f"analysis {spec.id!r}: every series is excluded, nothing to pool")
            continue
        if spec.model.get("ci") == "hk" and len(counts) < 2 and spec.model["method"] != "glmm":
            add((*path, "model", "ci"), f"analysis {spec.id!r}: Hartung-Knapp needs at least 2 "
                                        f"series, this analysis has {len(counts)}; use ci: z")
        if spec.model["method"] == "glmm":  # (ci: hk is refused by model_problems above)
            why = _glmm_infeasible(counts)
            if why:
                add(path, f"analysis {spec.id!r}: the GLMM cannot be fitted: {why}")
    if primary_rows and plan.primary.model["method"] == "glmm":
        _derived_glmm(plan, studies, primary_rows, default_group, add)
    return problems


def model_problems(model: dict) -> list[tuple[str, str]]:
    """(key, message) for each option of a plan's model that the engine would refuse: the one
    checker of the engine (:func:`jakisynth.stats.options.resolve`: an option the method does not
    use, a value it cannot take) and the prior strings of a Bayesian model."""
    from ..errors import InputError
    from ..stats.options import resolve
    from ..stats.priors import parse_mu_prior, parse_tau_prior

    given = {k: v for k, v in model.items() if k != "method"}
    try:
        options = resolve(model["method"], **given)
    except InputError as err:
        key, _, message = str(err).partition(": ")
        return [(key if key in given else "", message or str(err))]
    out = []
    for key, parse in (("tau_prior", parse_tau_prior), ("mu_prior", parse_mu_prior)):
        if key in options:
            try:
                parse(options[key])
            except InputError as err:
                out.append((key, str(err).partition(": ")[2] or str(err)))
    return out


def _derived_glmm(plan, studies, rows, default_group, add) -> None:
    """The subgroups, leave-one-out and cumulative steps refit the primary GLMM on subsets."""
    for sg in plan.subgroups:
        groups: dict[str, list] = {}
        for r in rows:
            group = sg.values.get(r.study) or default_group(sg.by, studies[r.study], r)
            groups.setdefault(group, []).append((r.events, r.total))
        for group, counts in sorted(groups.items()):
            why = _glmm_infeasible(counts)
            if why:
                add(("subgroups", sg.id), f"subgroup {group!r} of {sg.id!r}: the primary GLMM "
                                          f"cannot be fitted: {why}")
    counts = [(r.events, r.total) for r in rows]
    if plan.leave_one_out and len(counts) >= 2:
        for i, r in enumerate(rows):
            why = _glmm_infeasible(counts[:i] + counts[i + 1:])
            if why:
                add(("leave_one_out",), f"leaving out {r.label}: the primary GLMM cannot be "
                                        f"fitted: {why}")
    if plan.cumulative:
        order = sorted(range(len(rows)), key=lambda i: (rows[i].publication_date, i))
        for step in range(1, len(order) + 1):
            why = _glmm_infeasible([counts[i] for i in order[:step]])
            if why:
                add(("cumulative",), f"cumulative step {step} (up to {rows[order[step - 1]].label}):"
                                     f" the primary GLMM cannot be fitted: {why}")
                break


def _glmm_infeasible(counts: list[tuple[int, int]]) -> str | None:
    if counts and all(x == n for x, n in counts):
        return ("every series has all patients with the event (the pooled logit is infinite); "
                "use an inverse-variance model, whose continuity correction gives a finite "
                "estimate")
    if counts and all(x == 0 for x, _ in counts):
        return ("every series has 0 events (the pooled logit is infinite); use an "
                "inverse-variance model")
    return None


def _plan_lines(file: str):
    from ..evidence.yamlio import load_yaml

    try:
        return load_yaml(file)
    except EvidenceError:
        return None


def _by_index(loaded, path: tuple) -> tuple:
    """A path that names an analysis or subgroup by id, with its index in the plan file."""
    if loaded is None:
        return path
    if path[:1] == ("sensitivity",) and len(path) > 1:  # by id -> by index
        ids = [a.get("id") for a in loaded.data.get("sensitivity", []) if isinstance(a, dict)]
        path = ("sensitivity", ids.index(path[1]), *path[2:]) if path[1] in ids else path[:1]
    if path[:1] == ("subgroups",) and len(path) > 1:
        ids = [s.get("id") for s in loaded.data.get("subgroups", []) if isinstance(s, dict)]
        path = ("subgroups", ids.index(path[1]), *path[2:]) if path[1] in ids else path[:1]
    return path
