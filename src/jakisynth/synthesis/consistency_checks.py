"""The consistency checks of reported statistics and characteristics tables (one study each).

Stage "synthesis", called by :func:`jakisynth.synthesis.consistency.check_study`, which owns the
verdicts and the row format (docs/consistency.md). The arithmetic is in ``stats``: printed
precision in :mod:`~jakisynth.stats.rounding`, R's quantile types in
:mod:`~jakisynth.stats.quantiles`, the tests in :mod:`~jakisynth.stats.exact_tests`. A p value
that tests another reported statistic names it in ``statistic`` (the hazard ratio whose Wald p
it is); the Wald p uses that statistic's own confidence ``level``.
"""

from __future__ import annotations

import math
import statistics
from decimal import Decimal

import numpy as np

from ..evidence.series import NOT_REPORTED
from ..stats.exact_tests import (
    fisher_exact,
    rank_sum_variants,
    signed_rank_variants,
    table_variants,
    wald_p_from_ci,
)
from ..stats.quantiles import quantile
from ..stats.rounding import decimals, fmt, largest_remainder, matches, p_matches, round_to


def percentage(st, path, location, quantity, value, count, total, category_note=""):
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


def check_reported(st):
    """Every entry of ``reported_statistics`` by its kind."""
    stats_list = st.data.get("reported_statistics") or []
    by_id = {s.get("id"): s for s in stats_list}
    for i, s in enumerate(stats_list):
        path = ("reported_statistics", i)
        kind, location, quantity = s.get("kind"), s.get("location", "derived"), s.get("quantity")
        value = s.get("value")
        raw = st.raw((*path, "value"), value)
        if kind == "percentage":
            percentage(st, (*path, "value"), location, quantity, value, s.get("count"), s.get("total"))
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
    elif by_id.get(s.get("statistic"), {}).get("kind") == "hazard_ratio":
        hr = by_id[s["statistic"]]
        variants.update(wald_p_from_ci(hr["value"], hr["lower"], hr["upper"], hr["level"]))
    if not variants:
        st.add(location, quantity, reported, "", "not_checkable",
               "the compared data are not in the paper" + (f" (test: {named})" if named != NOT_REPORTED else ""))
        return
    matching = [name for name, p in variants.items() if p_matches(p, raw, relation)]
    listing = "; ".join(f"{name} {p:.4g}" for name, p in variants.items())
    reason = "no test variant reproduces it"
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
    best = min(variants.values(), key=lambda p: abs(p - float(raw)))
    recomputed = fmt(best, max(decimals(raw), 3)) if relation == "=" else f"{best:.4g}"
    st.add(location, quantity, reported, recomputed, verdict, detail,
           reason if verdict == "inconsistent" else None)




def check_tables(st):
    """Characteristics tables: every count/percent cell; exclusive categories add up."""
    n_by_scope = {"all": n_of_block(st.data.get("population", {}).get("n"))}
    for s in st.data.get("strata") or []:
        n_by_scope[s["id"]] = n_of_block(s.get("n"))
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
                places = max(decimals(st.raw(("characteristics", t, "rows", r, "values", column, "percent"),
                                             c["percent"])) for r, c in cells)
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


def _check_table_p(st, t: int, table: dict):
    """p values printed in a characteristics table, comparing the strata columns: per row for a
    non-exclusive table (that row against the rest of each stratum), once for an exclusive one."""
    rows = table.get("rows", [])
    printed = [(r, row["p_value_text"]) for r, row in enumerate(rows) if row.get("p_value_text")]
    strata = [c for c in table.get("columns", []) if c != "all"]
    n_of = {s["id"]: n_of_block(s.get("n")) for s in st.data.get("strata") or []}
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
        exact = fisher_exact(table_counts)
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
                   f"{table_counts.shape[0]} x {table_counts.shape[1]} table, which Methods allows, is not "
                   "computed here")
        else:
            st.add(location, quantity, text, f"{best:.3g}", "inconsistent",
                   f"neither test named in Methods reproduces it ({listing})",
                   "neither test named in Methods reproduces it")




def n_of_block(block):
    """The ``value`` of an N block (``population.n``, a stratum's ``n``), else ``None``."""
    return block.get("value") if isinstance(block, dict) else None
