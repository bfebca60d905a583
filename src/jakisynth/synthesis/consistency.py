"""Consistency check: recompute every reported statistic from the extracted data.

Stage "tables" (after validation; no pooling). For every extraction it yields one
:class:`ConsistencyRow` per checkable statistic, with a verdict:

- ``consistent``: the recomputation reproduces the printed value at its printed precision;
- ``rounding``: it does only after the paper's rounding was adjusted so a category adds up to
  100% (largest remainder), the printed value being one unit off the plain rounding;
- ``inconsistent``: no count, quantile definition or test variant reproduces the printed value, or
  the same quantity is printed with different values in two places, or only a test other than the
  one the paper names reproduces a p value;
- ``not_checkable``: the data needed are not in the paper (e.g. a median without patient rows).

Checks (docs/consistency.md): percentages against counts at the printed precision (GRIM-style,
Brown & Heathers 2017) with round-half-up and round-half-even; categories and strata summing to
their totals; means/SDs and medians/IQRs/ranges recomputed from patient rows with R's nine
quantile definitions (Hyndman & Fan 1996); p values recomputed with the named test and its
variants (exact, normal approximation with and without continuity correction, paired or unpaired;
R's ``wilcox.test``, ``chisq.test``, ``fisher.test``); Wald p values from a hazard ratio's CI;
the same quantity reported in two places.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

COLUMNS = ("study", "location", "quantity", "reported", "recomputed", "verdict", "reason",
           "detail")
VERDICTS = ("consistent", "rounding", "inconsistent", "not_checkable")
NOT_REPORTED = "not reported"
#: the reason of a verdict when the check gives no more specific one
REASONS = {"consistent": "reproduced at the printed precision",
           "rounding": "one unit off so that the category adds up to 100%",
           "inconsistent": "the extracted data do not reproduce it",
           "not_checkable": "the data needed are not in the paper"}


@dataclass(frozen=True)
class ConsistencyRow:
    study: str
    location: str
    quantity: str
    reported: str
    recomputed: str
    verdict: str
    reason: str  # the verdict's reason in a few words (the detail gives every number)
    detail: str


@dataclass(frozen=True)
class ConsistencyReport:
    rows: tuple[ConsistencyRow, ...]

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rows], columns=list(COLUMNS))

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for r in self.rows if r.verdict == v) for v in VERDICTS}

    def to_dict(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "counts": self.counts()}

    def __str__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items())
        lines = [f"Consistency check: {len(self.rows)} statistics ({counts})"]
        for r in self.rows:
            if r.verdict in ("inconsistent", "rounding"):
                lines.append(f"  {r.verdict}: {r.study} {r.location}: {r.quantity} reported "
                             f"{r.reported}, recomputed {r.recomputed} ({r.detail})")
        return "\n".join(lines)


# ---- numbers at a printed precision -----------------------------------------------------------

def decimals(raw: str) -> int:
    """Number of decimals of a printed number ("88.7" -> 1, "100" -> 0)."""
    raw = str(raw).strip()
    return len(raw.split(".", 1)[1]) if "." in raw else 0


def round_to(value: float, places: int, mode=ROUND_HALF_UP) -> Decimal:
    quantum = Decimal(1).scaleb(-places)
    return Decimal(repr(float(value))).quantize(quantum, rounding=mode)


def matches(value: float, raw: str) -> bool:
    """Whether ``value`` rounds (half up or half even) to the printed ``raw``."""
    places = decimals(raw)
    printed = Decimal(str(raw).strip())
    return (round_to(value, places) == printed or round_to(value, places, ROUND_HALF_EVEN) == printed)


def fmt(value: float, places: int) -> str:
    return str(round_to(value, places))


def largest_remainder(counts: list[int], total: int, places: int) -> list[Decimal]:
    """Percentages rounded to ``places`` and adjusted to add up to exactly 100 (Hare quota)."""
    unit = Decimal(1).scaleb(-places)
    exact = [Decimal(c) * 100 / Decimal(total) for c in counts]
    floors = [(e / unit).to_integral_value(rounding="ROUND_FLOOR") * unit for e in exact]
    missing = int(((Decimal(100) - sum(floors)) / unit).to_integral_value())
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:max(missing, 0)]:
        floors[i] += unit
    return floors


# ---- quantiles --------------------------------------------------------------------------------

def quantile(values, p: float, kind: int) -> float:
    """R's ``quantile(x, p, type = kind)`` for kind 1..9 (Hyndman & Fan 1996)."""
    x = sorted(float(v) for v in values)
    n = len(x)
    if kind in (1, 2, 3):
        np_ = n * p
        if kind == 3:
            np_ -= 0.5
        j = math.floor(np_)
        g = np_ - j
        if kind == 1:
            gamma = 0.0 if g == 0 else 1.0
        elif kind == 2:
            gamma = 0.5 if g == 0 else 1.0
        else:
            gamma = 0.0 if (g == 0 and j % 2 == 0) else 1.0
        lo = x[min(max(j - 1, 0), n - 1)]
        hi = x[min(max(j, 0), n - 1)]
        return (1 - gamma) * lo + gamma * hi
    m = {4: 0.0, 5: 0.5, 6: p, 7: 1 - p, 8: (p + 1) / 3, 9: p / 4 + 3 / 8}[kind]
    h = n * p + m
    j = math.floor(h)
    g = h - j
    lo = x[min(max(j - 1, 0), n - 1)]
    hi = x[min(max(j, 0), n - 1)]
    return lo + g * (hi - lo)


# ---- p values ---------------------------------------------------------------------------------

def signed_rank_variants(before, after) -> dict[str, float]:
    """Two-sided Wilcoxon signed-rank p values (R ``wilcox.test(paired = TRUE)`` variants)."""
    from scipy import stats

    d = np.asarray(after, float) - np.asarray(before, float)
    out = {}
    nonzero = d[d != 0]
    if nonzero.size == 0:
        return out
    ties = len(np.unique(np.abs(nonzero))) < nonzero.size
    if not ties and nonzero.size == d.size:
        out["signed-rank, exact"] = float(stats.wilcoxon(d, method="exact").pvalue)
    for cc in (True, False):
        label = f"signed-rank, normal approximation{' with continuity correction' if cc else ''}"
        out[label] = _signed_rank_normal(nonzero, cc)
    return out


def _signed_rank_normal(d: np.ndarray, correct: bool) -> float:
    """R's normal approximation: zeros dropped, tie-corrected variance, optional correction."""
    from scipy import stats

    n = d.size
    ranks = stats.rankdata(np.abs(d))
    v = float(ranks[d > 0].sum())
    mean = n * (n + 1) / 4
    _, counts = np.unique(np.abs(d), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(counts**3 - counts)) / 48
    z = v - mean
    if correct:
        z -= math.copysign(0.5, z) if z != 0 else 0.0
    return float(2 * stats.norm.sf(abs(z / math.sqrt(var)))) if var > 0 else 1.0


def rank_sum_variants(a, b) -> dict[str, float]:
    """Two-sided Wilcoxon rank-sum / Mann-Whitney p values (R ``wilcox.test(x, y)`` variants)."""
    from scipy import stats

    out = {}
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(np.unique(np.concatenate([a, b]))) == a.size + b.size:
        out["rank-sum, exact"] = float(stats.mannwhitneyu(a, b, method="exact").pvalue)
    for cc in (True, False):
        label = f"rank-sum, normal approximation{' with continuity correction' if cc else ''}"
        out[label] = float(stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=cc).pvalue)
    return out


def table_variants(groups: list[dict]) -> dict[str, float]:
    """p values for a 2 x k table of counts: chi-square (with/without Yates for 2 x 2), Fisher."""
    from scipy import stats

    table = np.array([[g["count"] for g in groups], [g["total"] - g["count"] for g in groups]], float)
    out = {"Fisher's exact test": fisher_2xc(table)}
    if table.shape[1] == 2:
        out["chi-square with Yates' correction"] = float(stats.chi2_contingency(table, correction=True).pvalue)
    out["chi-square"] = float(stats.chi2_contingency(table, correction=False).pvalue)
    return out


def fisher_2xc(table) -> float:
    """Two-sided Fisher exact p for a 2 x c table (R ``fisher.test``: tables no more probable
    than the observed one, relative tolerance 1e-7), by enumerating the first row."""
    from itertools import product

    from scipy.special import gammaln

    table = np.asarray(table, int)
    cols = table.sum(axis=0)
    r1 = int(table[0].sum())

    def log_p(first):
        return float(sum(gammaln(n + 1) - gammaln(a + 1) - gammaln(n - a + 1)
                         for a, n in zip(first, cols)))

    observed = log_p(table[0])
    total = 0.0
    extreme = 0.0
    for first in product(*(range(int(n) + 1) for n in cols[:-1])):
        last = r1 - sum(first)
        if not 0 <= last <= cols[-1]:
            continue
        value = math.exp(log_p((*first, last)) - observed)
        total += value
        if value <= 1 + 1e-7:
            extreme += value
    return extreme / total


def _compositions(total: int, bounds: tuple[int, ...]) -> np.ndarray:
    """Every vector a with 0 <= a_i <= bounds_i and sum(a) = total, one per row (int array)."""
    bounds_arr = np.array(bounds)
    after = np.concatenate([np.cumsum(bounds_arr[::-1])[::-1][1:], [0]])  # room in later rows
    partial = np.zeros((1, 0), int)
    sums = np.zeros(1, int)
    for i, bound in enumerate(bounds[:-1]):
        values = np.arange(bound + 1)
        partial = np.column_stack([np.repeat(partial, len(values), axis=0),
                                   np.tile(values, len(sums))])
        sums = np.repeat(sums, len(values)) + np.tile(values, len(sums))
        keep = (sums <= total) & (sums + after[i] >= total)
        partial, sums = partial[keep], sums[keep]
    last = total - sums
    keep = (last >= 0) & (last <= bounds[-1])
    return np.column_stack([partial[keep], last[keep]])


def fisher_rxc(table, max_tables: int = 2_000_000) -> float | None:
    """Two-sided Fisher exact p for an r x c table by full enumeration of the tables with the
    observed margins (R ``fisher.test``; tables no more probable than the observed one, relative
    tolerance 1e-7). ``None`` when there are more than ``max_tables`` tables to visit."""
    table = np.asarray(table, int)
    if table.ndim != 2 or min(table.shape) < 2:
        return None  # R: "'x' must have at least 2 rows and columns"
    rows = [int(v) for v in table.sum(axis=1)]
    cols = [int(v) for v in table.sum(axis=0)]
    n = sum(rows)
    log_fact = [0.0] * (n + 1)
    for i in range(1, n + 1):
        log_fact[i] = log_fact[i - 1] + math.log(i)
    constant = sum(log_fact[v] for v in rows + cols) - log_fact[n]
    observed = constant - sum(log_fact[int(v)] for v in table.ravel())
    threshold = observed + math.log1p(1e-7)
    total = extreme = 0.0
    visited = 0

    lf = np.array(log_fact)

    def column(j: int, remaining: list[int], log_p: float):
        nonlocal total, extreme, visited
        if j == len(cols) - 2:  # this column and the last one, for every split at once
            first = _compositions(cols[j], tuple(remaining))
            last = np.array(remaining) - first
            lp = log_p - lf[first].sum(axis=1) - lf[last].sum(axis=1)
            visited += len(lp)
            if visited > max_tables:
                raise OverflowError
            values = np.exp(lp - observed)
            total += float(values.sum())
            extreme += float(values[lp <= threshold].sum())
            return
        cells(j, 0, cols[j], remaining, log_p)

    def cells(j: int, i: int, left: int, remaining: list[int], log_p: float):
        if i == len(rows) - 1:
            if left > remaining[i]:
                return
            remaining[i] -= left
            column(j + 1, remaining, log_p - log_fact[left])
            remaining[i] += left
            return
        rest = sum(remaining[i + 1:])
        for a in range(max(0, left - rest), min(left, remaining[i]) + 1):
            remaining[i] -= a
            cells(j, i + 1, left - a, remaining, log_p - log_fact[a])
            remaining[i] += a

    try:
        column(0, list(rows), constant)
    except OverflowError:
        return None
    return extreme / total


def p_matches(p: float, raw: str, relation: str) -> bool:
    if relation == "<":
        return p < float(raw)
    if relation == ">":
        return p > float(raw)
    return matches(p, raw)


# ---- per study --------------------------------------------------------------------------------

class _Study:
    def __init__(self, loaded):
        self.loaded = loaded
        self.data = loaded.data
        self.sid = self.data.get("study_id", "?")
        self.rows: list[ConsistencyRow] = []

    def raw(self, path: tuple, value) -> str:
        return self.loaded.raw.get(path, str(value))

    def add(self, location, quantity, reported, recomputed, verdict, detail, reason=None):
        self.rows.append(ConsistencyRow(self.sid, str(location), str(quantity), str(reported),
                                        str(recomputed), verdict, reason or REASONS[verdict],
                                        detail))

    def patients(self, ids=None):
        patients = self.data.get("patients")
        if not isinstance(patients, dict):
            return None
        rows = patients.get("rows", [])
        if ids:
            rows = [r for r in rows if r.get("id") in ids]
        return rows

    def column_values(self, key, ids=None):
        rows = self.patients(ids)
        if rows is None:
            return None
        out = []
        for r in rows:
            v = r.get("values", {}).get(key)
            if isinstance(v, list):
                out.append(len({item.get("drug") for item in v}))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(float(v))
        return out


def _percentage(st: _Study, path, location, quantity, value, count, total, category_note=""):
    raw = st.raw(path, value)
    places = decimals(raw)
    if not isinstance(total, int) or isinstance(total, bool):
        st.add(location, quantity, f"{raw}%", "", "not_checkable", "no denominator reported")
        return
    if not isinstance(count, int) or isinstance(count, bool):
        achievable = [k for k in range(total + 1) if matches(100 * k / total, raw)]
        if achievable:
            st.add(location, quantity, f"{raw}%", f"{achievable[0]}/{total}", "consistent",
                   f"no count printed; {', '.join(f'{k}/{total}' for k in achievable)} give {raw}%")
        else:
            st.add(location, quantity, f"{raw}%", "", "inconsistent",
                   f"no count out of {total} gives {raw}% at {places} decimals",
                   f"no count out of {total} gives it")
        return
    exact = 100 * count / total
    if matches(exact, raw):
        st.add(location, quantity, f"{raw}%", f"{fmt(exact, places)}%", "consistent",
               f"{count}/{total}")
    else:
        st.add(location, quantity, f"{raw}%", f"{fmt(exact, places)}%", "inconsistent",
               f"{count}/{total} = {exact:.4f}%{category_note}", "the count does not give it")


def _check_reported(st: _Study):
    stats_list = st.data.get("reported_statistics") or []
    by_id = {s.get("id"): s for s in stats_list}
    for i, s in enumerate(stats_list):
        path = ("reported_statistics", i)
        kind, location, quantity = s.get("kind"), s.get("location", "derived"), s.get("quantity")
        value = s.get("value")
        raw = st.raw((*path, "value"), value)
        if kind == "percentage":
            _percentage(st, (*path, "value"), location, quantity, value, s.get("count"), s.get("total"))
        elif kind == "sum":
            parts = s.get("parts") or []
            total = sum(parts)
            verdict = "consistent" if math.isclose(total, value) else "inconsistent"
            st.add(location, quantity, raw, f"{total:g}", verdict,
                   f"{' + '.join(f'{p:g}' for p in parts)} = {total:g}")
        elif kind in ("mean_sd", "mean"):
            _mean(st, s, path, location, quantity, raw)
        elif kind in ("median_iqr", "median_range"):
            _median(st, s, path, location, quantity, raw)
        elif kind == "p_value":
            _p_value(st, s, path, location, quantity, raw, by_id)
        elif kind == "hazard_ratio":
            lower, upper = s.get("lower"), s.get("upper")
            centre = math.sqrt(lower * upper)
            verdict = "consistent" if matches(centre, raw) else "inconsistent"
            st.add(location, quantity, f"{raw} ({lower}, {upper})", f"{fmt(centre, decimals(raw))}",
                   verdict, f"a Wald CI is symmetric on the log scale: sqrt({lower} x {upper}) = {centre:.4f}")
        else:
            st.add(location, quantity, raw, "", "not_checkable",
                   f"a {kind.replace('_', ' ')} cannot be recomputed from the extracted data")


def _mean(st, s, path, location, quantity, raw):
    values = st.column_values(s["from"], s.get("patients")) if s.get("from") else None
    if not values:
        st.add(location, quantity, raw, "", "not_checkable", "no patient rows to recompute from")
        return
    mean = statistics.fmean(values)
    ok = matches(mean, raw)
    recomputed = fmt(mean, decimals(raw))
    detail = f"mean of {len(values)} patient rows ({s['from']}) = {mean:.4f}"
    reported = raw
    if "sd" in s:
        sd_raw = st.raw((*path, "sd"), s["sd"])
        sd1 = statistics.stdev(values) if len(values) > 1 else 0.0
        sd0 = statistics.pstdev(values)
        which = [name for name, v in (("n-1", sd1), ("n", sd0)) if matches(v, sd_raw)]
        ok = ok and bool(which)
        reported = f"{raw} (SD {sd_raw})"
        recomputed = f"{recomputed} (SD {fmt(sd1, decimals(sd_raw))})"
        detail += f"; SD {sd1:.4f} (n-1), {sd0:.4f} (n)" + (f"; matches with {', '.join(which)}" if which else "")
    st.add(location, quantity, reported, recomputed, "consistent" if ok else "inconsistent", detail)


def _median(st, s, path, location, quantity, raw):
    values = st.column_values(s["from"], s.get("patients")) if s.get("from") else None
    lower_raw = st.raw((*path, "lower"), s.get("lower"))
    upper_raw = st.raw((*path, "upper"), s.get("upper"))
    what = "IQR" if s["kind"] == "median_iqr" else "range"
    reported = f"{raw} ({what} {lower_raw}-{upper_raw})"
    if not values:
        st.add(location, quantity, reported, "", "not_checkable", "no patient rows to recompute from")
        return
    median = statistics.median(values)
    parts = [f"median of {len(values)} patient rows ({s['from']}) = {median:g}"]
    ok = matches(median, raw)
    if s["kind"] == "median_range":
        lo, hi = min(values), max(values)
        ok_range = matches(lo, lower_raw) and matches(hi, upper_raw)
        recomputed = f"{median:g} (range {lo:g}-{hi:g})"
        if not ok_range:
            parts.append(f"the rows range from {lo:g} to {hi:g}")
        ok = ok and ok_range
    else:
        types = [t for t in range(1, 10) if matches(quantile(values, 0.25, t), lower_raw)
                 and matches(quantile(values, 0.75, t), upper_raw)]
        q7 = (quantile(values, 0.25, 7), quantile(values, 0.75, 7))
        recomputed = f"{median:g} (IQR {q7[0]:g}-{q7[1]:g})"
        if types:
            parts.append("quartiles match R quantile type(s) " + ", ".join(map(str, types))
                         + (" (type 7 is R's and numpy's default)" if 7 in types else ""))
        else:
            options = "; ".join(f"type {t}: {quantile(values, .25, t):g}-{quantile(values, .75, t):g}"
                                for t in (6, 7, 2))
            parts.append(f"no quantile definition (R types 1-9) gives {lower_raw}-{upper_raw} ({options})")
        ok = ok and bool(types)
    st.add(location, quantity, reported, recomputed, "consistent" if ok else "inconsistent",
           "; ".join(parts), None if ok else "the patient rows do not reproduce it")


def _p_value(st, s, path, location, quantity, raw, by_id):
    relation = s.get("relation", "=")
    reported = f"{'' if relation == '=' else relation}{raw}"
    named = s.get("test", NOT_REPORTED)
    variants: dict[str, float] = {}
    named_family = None
    if s.get("paired"):
        before = st.column_values(s["paired"]["before"], s.get("patients"))
        after = st.column_values(s["paired"]["after"], s.get("patients"))
        if before and after and len(before) == len(after):
            variants.update(signed_rank_variants(before, after))
            variants.update(rank_sum_variants(before, after))
        named_family = {"wilcoxon_rank_sum": "rank-sum", "mann_whitney": "rank-sum",
                        "wilcoxon_signed_rank": "signed-rank"}.get(named)
    elif s.get("groups"):
        variants.update(table_variants(s["groups"]))
        named_family = {"fisher_exact": "Fisher", "chi_square": "chi-square"}.get(named)
    elif s.get("id", "").endswith("_p") and by_id.get(s["id"][:-2], {}).get("kind") == "hazard_ratio":
        hr = by_id[s["id"][:-2]]
        se = (math.log(hr["upper"]) - math.log(hr["lower"])) / (2 * 1.959963984540054)
        from scipy import stats

        z = math.log(hr["value"]) / se
        z_mid = (math.log(hr["upper"]) + math.log(hr["lower"])) / 2 / se
        variants["Wald test from the HR and its 95% CI"] = float(2 * stats.norm.sf(abs(z)))
        variants["Wald test from the CI midpoint (log scale)"] = float(2 * stats.norm.sf(abs(z_mid)))
    if not variants:
        st.add(location, quantity, reported, "", "not_checkable",
               "the compared data are not in the paper" + (f" (test: {named})" if named != NOT_REPORTED else ""))
        return
    matching = [name for name, p in variants.items() if p_matches(p, raw, relation)]
    reason = "no test variant reproduces it"
    listing = "; ".join(f"{name} {p:.4g}" for name, p in variants.items())
    if named_family is None:
        verdict = "consistent" if matching else "inconsistent"
        detail = (f"reproduced by {', '.join(matching)}" if matching else "no variant reproduces it") + f" ({listing})"
    else:
        own = [m for m in matching if m.startswith(named_family)]
        if own:
            verdict, detail = "consistent", f"named {named}; reproduced by {', '.join(own)} ({listing})"
        elif matching:
            verdict = "inconsistent"
            detail = (f"named {named.replace('_', ' ')}, which gives none of it; only "
                      f"{', '.join(matching)} reproduces {reported} ({listing})")
            others = " or ".join(dict.fromkeys(m.split(",")[0] for m in matching))
            reason = f"test named in Methods does not reproduce; {others} does"
        else:
            verdict, detail = "inconsistent", f"no variant reproduces it ({listing})"
            reason = "no test variant reproduces it"
    best = min(variants.values(), key=lambda p: abs(p - float(raw)))
    recomputed = fmt(best, max(decimals(raw), 3)) if relation == "=" else f"{best:.4g}"
    st.add(location, quantity, reported, recomputed, verdict, detail,
           reason if verdict == "inconsistent" else None)


def _check_duplicates(st: _Study):
    seen: dict[str, list] = {}
    for i, s in enumerate(st.data.get("reported_statistics") or []):
        key = (s.get("quantity"), s.get("scope", "all"))
        values = tuple(s.get(k) for k in ("value", "lower", "upper", "sd") if k in s)
        seen.setdefault(key, []).append((s.get("location", "derived"), values,
                                         st.raw(("reported_statistics", i, "value"), s.get("value"))))
    for (quantity, _), entries in seen.items():
        if len(entries) < 2:
            continue
        distinct = {tuple(float(v) for v in e[1]) for e in entries}
        where = " vs ".join(f"{e[0]}: {e[2]}" for e in entries)
        verdict = "consistent" if len(distinct) == 1 else "inconsistent"
        if verdict == "inconsistent":  # the same value printed at another precision is rounding
            finest = max(entries, key=lambda e: decimals(e[2]))
            if all(matches(float(finest[2]), e[2]) for e in entries):
                verdict = "consistent"
                where += f" ({finest[2]} rounds to each printed value)"
        st.add("; ".join(e[0] for e in entries), f"{quantity} (reported in {len(entries)} places)",
               " / ".join(e[2] for e in entries), "", verdict,
               ("the same value in every place: " if verdict == "consistent" else "different values: ") + where,
               "printed with different values in two places" if verdict == "inconsistent" else None)


def _check_tables(st: _Study):
    """Characteristics tables: every count/percent cell; exclusive categories add up."""
    n_by_scope = {"all": _n(st.data.get("population", {}).get("n"))}
    for s in st.data.get("strata") or []:
        n_by_scope[s["id"]] = _n(s.get("n"))
    for t, table in enumerate(st.data.get("characteristics") or []):
        _check_table_p(st, t, table)
        for column in table.get("columns", []):
            total = n_by_scope.get(column)
            cells = [(r, row.get("values", {}).get(column)) for r, row in enumerate(table.get("rows", []))]
            cells = [(r, c) for r, c in cells if isinstance(c, dict) and "count" in c and "percent" in c]
            if not cells or not isinstance(total, int):
                continue
            adjusted = None
            if table.get("exclusive"):
                counts = [c["count"] for _, c in cells]
                places = max(decimals(st.raw(("characteristics", t, "rows", r, "values", column, "percent"), c["percent"]))
                             for r, c in cells)
                adjusted = largest_remainder(counts, total, places)
                st.add(f"{table.get('label')}, column {column}", f"{table.get('id')}: categories add up",
                       f"{sum(counts)}", f"{total}", "consistent" if sum(counts) == total else "inconsistent",
                       f"{' + '.join(map(str, counts))} = {sum(counts)}; column N = {total}")
            for k, (r, cell) in enumerate(cells):
                row = table["rows"][r]
                path = ("characteristics", t, "rows", r, "values", column, "percent")
                raw = st.raw(path, cell["percent"])
                exact = 100 * cell["count"] / total
                location = f"{row.get('location', table.get('label'))}, column {column}"
                quantity = f"{table.get('id')}: {row.get('label')} ({column})"
                if matches(exact, raw):
                    st.add(location, quantity, f"{raw}%", f"{fmt(exact, decimals(raw))}%", "consistent",
                           f"{cell['count']}/{total}")
                elif adjusted is not None and _adjusted_to_100(st, t, column, cells, total, k):
                    st.add(location, quantity, f"{raw}%", f"{fmt(exact, decimals(raw))}%", "rounding",
                           f"{cell['count']}/{total} = {exact:.3f}%; the printed value is one unit off "
                           "so that the category's percentages add up to exactly 100%")
                else:
                    st.add(location, quantity, f"{raw}%", f"{fmt(exact, decimals(raw))}%", "inconsistent",
                           f"{cell['count']}/{total} = {exact:.3f}%")


def _adjusted_to_100(st, t, column, cells, total, k) -> bool:
    """The printed percentages of an exclusive category add up to 100 while plain rounding does
    not, and this cell is one unit in the last place away from its plain rounding."""
    raws = [st.raw(("characteristics", t, "rows", r, "values", column, "percent"), c["percent"])
            for r, c in cells]
    places = max(decimals(x) for x in raws)
    unit = Decimal(1).scaleb(-places)
    printed = [Decimal(x) for x in raws]
    plain = [round_to(100 * c["count"] / total, places) for _, c in cells]
    return (sum(printed) == 100 and sum(plain) != 100
            and abs(printed[k] - plain[k]) == unit)


def _check_table_p(st: _Study, t: int, table: dict):
    """p values printed in a characteristics table, comparing the strata columns: per row for a
    non-exclusive table (that row against the rest of each stratum), once for an exclusive one."""
    rows = table.get("rows", [])
    printed = [(r, row["p_value_text"]) for r, row in enumerate(rows) if row.get("p_value_text")]
    strata = [c for c in table.get("columns", []) if c != "all"]
    n_of = {s["id"]: _n(s.get("n")) for s in st.data.get("strata") or []}
    for r0, text in printed if not table.get("exclusive") else printed[:1]:
        location = f"{rows[r0].get('location', table.get('label'))}, column P"
        scope = rows[r0].get("label") if not table.get("exclusive") else "category"
        quantity = f"{table.get('id')}: p value ({scope}) across {', '.join(strata)}"
        relation, raw = ("<", text[1:].strip()) if text.startswith("<") else ("=", text.strip())
        use = [rows[r0]] if not table.get("exclusive") else rows
        counts = [[(row.get("values", {}).get(c) or {}).get("count") for c in strata] for row in use]
        if not strata or any(not isinstance(v, int) for line in counts for v in line):
            st.add(location, quantity, text, "", "not_checkable",
                   "compares medians (Mann-Whitney U or t-test named in Methods); the patient data are not reported")
            continue
        from scipy import stats

        table_counts = np.array(counts, float)
        if not table.get("exclusive"):
            table_counts = np.vstack([table_counts[0], np.array([n_of[c] for c in strata], float) - table_counts[0]])
        table_counts = table_counts[table_counts.sum(axis=1) > 0]
        table_counts = table_counts[:, table_counts.sum(axis=0) > 0]
        variants = {}
        if table_counts.shape[0] == 2:
            variants["Fisher's exact test"] = fisher_2xc(table_counts)
        elif table_counts.shape[0] > 2 and table_counts.shape[1] >= 2:
            exact = fisher_rxc(table_counts)
            if exact is not None:
                variants["Fisher's exact test"] = exact
        if table_counts.shape[0] >= 2 and table_counts.shape[1] >= 2:
            variants["chi-square"] = float(stats.chi2_contingency(table_counts, correction=False).pvalue)
        if not variants:
            st.add(location, quantity, text, "", "not_checkable", "a single category: no test")
            continue
        matching = [name for name, p in variants.items() if p_matches(p, raw, relation)]
        listing = "; ".join(f"{name} {p:.4g}" for name, p in variants.items())
        best = min(variants.values(), key=lambda p: abs(p - float(raw)))
        if matching:
            st.add(location, quantity, text, f"{best:.3g}", "consistent",
                   f"reproduced by {', '.join(matching)} ({listing})")
        elif table_counts.shape[0] > 2:
            st.add(location, quantity, text, f"{best:.3g}", "not_checkable",
                   f"chi-square does not reproduce it ({listing}); Fisher's exact test for a "
                   f"{table_counts.shape[0]} x {table_counts.shape[1]} table, which Methods allows, is not computed here")
        else:
            st.add(location, quantity, text, f"{best:.3g}", "inconsistent",
                   f"neither test named in Methods reproduces it ({listing})",
                   "neither test named in Methods reproduces it")


def _n(block):
    return block.get("value") if isinstance(block, dict) else None


def _check_structure(st: _Study):
    """Strata adding up to the series; result percentages against events/total."""
    n = _n(st.data.get("population", {}).get("n"))
    strata = st.data.get("strata") or []
    if strata and isinstance(n, int) and not any(s.get("overlapping") for s in strata):
        parts = [_n(s.get("n")) for s in strata]
        if all(isinstance(p, int) for p in parts):
            st.add("strata", "strata add up to the series", f"{n}", f"{sum(parts)}",
                   "consistent" if sum(parts) == n else "inconsistent",
                   f"{' + '.join(map(str, parts))} = {sum(parts)}")
    for i, outcome in enumerate(st.data.get("outcomes", [])):
        for j, r in enumerate(outcome.get("results", [])):
            if "percent" in r:
                _percentage(st, ("outcomes", i, "results", j, "percent"), r.get("location", "derived"),
                            f"{outcome.get('id')} ({r.get('scope')})", r["percent"], r.get("events"), r.get("total"))
    intervention = st.data.get("intervention", {})
    for i, d in enumerate(intervention.get("doses") if isinstance(intervention.get("doses"), list) else []):
        if "percent" in d:
            _percentage(st, ("intervention", "doses", i, "percent"), d.get("location", "derived"),
                        f"dose {d.get('label')}", d["percent"], d.get("count"), d.get("total"))
    prior = st.data.get("prior_therapies", {})
    for i, a in enumerate(prior.get("aggregate", []) if isinstance(prior, dict) else []):
        if "percent" in a:
            _percentage(st, ("prior_therapies", "aggregate", i, "percent"), a.get("location", "derived"),
                        f"prior {a.get('drug')} ({a.get('status')})", a["percent"], a.get("count"), a.get("total"))
    safety = st.data.get("safety", {})
    blocks = [("adverse_events", i, e) for i, e in enumerate(safety.get("adverse_events") if isinstance(safety.get("adverse_events"), list) else [])]
    if isinstance(safety.get("infections"), dict):
        blocks.append(("infections", None, safety["infections"]))
    for key, i, e in blocks:
        if "percent" in e:
            path = ("safety", key, *(() if i is None else (i,)), "percent")
            _percentage(st, path, e.get("location", "derived"), f"safety: {e.get('event', key)}",
                        e["percent"], e.get("count"), e.get("total"))
    sex = st.data.get("population", {}).get("sex")
    if isinstance(sex, dict) and "male_percent" in sex:
        _percentage(st, ("population", "sex", "male_percent"), sex.get("location", "derived"), "male",
                    sex["male_percent"], sex.get("male"), n)
    for i, c in enumerate(st.data.get("population", {}).get("conditions") or []):
        if isinstance(c, dict) and "percent" in c:
            _percentage(st, ("population", "conditions", i, "percent"), c.get("location", "derived"),
                        f"condition {c.get('term')}", c["percent"], c.get("count"), n)


def check_study(loaded) -> list[ConsistencyRow]:
    """Every consistency row of one extraction, in file order."""
    st = _Study(loaded)
    _check_structure(st)
    _check_tables(st)
    _check_reported(st)
    _check_duplicates(st)
    return st.rows


def check_evidence(studies: dict) -> ConsistencyReport:
    """All studies, sorted by study id."""
    rows = []
    for sid in sorted(studies):
        rows.extend(check_study(studies[sid]))
    return ConsistencyReport(tuple(rows))
