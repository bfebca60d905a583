"""Living updates: the evidence snapshot and the changelog.

Stage "run/living". The changelog entry compares two evidence versions only: the snapshot the
previous run left in ``outputs/evidence.json`` (with its ``results.json``) and the current one, so
re-running without changes adds nothing and an entry never contains a date.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..stats.format import ci_label, level_percent
from ..stats.format import percent as _pct

CHANGELOG_HEADER = ("# Changelog of the evidence base\n\n"
                    "One entry per evidence version (newest first): series added, changed or removed, "
                    "and how every pooled analysis moved.\n")


# ---- snapshot and changelog ------------------------------------------------------------------

def evidence_snapshot(studies: dict[str, dict], plan, version: str) -> dict:
    """What the next run compares against: the version and every validated extraction."""
    return {"evidence_version": version, "plan_file": Path(plan.file).name,
            "series": {sid: studies[sid] for sid in sorted(studies)}}


def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def changed_fields(before, after, path: str = "") -> list[str]:
    """Dotted paths of the fields that differ between two extraction dicts (leaves or lists)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                out.append(f"{sub} (added)")
            elif key not in after:
                out.append(f"{sub} (removed)")
            else:
                out.extend(changed_fields(before[key], after[key], sub))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after)):
            out.extend(changed_fields(b, a, f"{path}[{i}]"))
        return out
    return [] if before == after else [path or "(whole file)"]


def _interval(result: dict) -> str:
    """'95% CI', or '95% CrI' (credible interval) for a Bayesian result."""
    level = result.get('level', 0.95)
    return f"{level_percent(level)} CrI" if result.get('method') == 'bayes' else ci_label(level)


def _analysis_lines(old_results: dict | None, new_results: dict, thresholds) -> tuple[list[str], list[str]]:
    old = {a["id"]: a for a in (old_results or {}).get("analyses", [])}
    lines, flags = [], []
    for a in new_results["analyses"]:
        r = a["result"]
        before = old.get(a["id"], {}).get("result")
        now = (f"{_pct(r['estimate'])} ({_interval(r)} {_pct(r['ci_lower'])} to {_pct(r['ci_upper'])}; "
               f"PI {_pct(r['pi_lower'])} to {_pct(r['pi_upper'])}; tau2 {r['tau2']:.4f}; "
               f"I2 {r['I2']:.1f}%; k = {r['k']})")
        if before is None:
            lines.append(f"- {a['label']} (`{a['id']}`): new, {now}")
            continue
        was = (f"{_pct(before['estimate'])} ({_interval(before)} {_pct(before['ci_lower'])} to "
               f"{_pct(before['ci_upper'])}; PI {_pct(before['pi_lower'])} to "
               f"{_pct(before['pi_upper'])}; tau2 {before['tau2']:.4f}; I2 {before['I2']:.1f}%; "
               f"k = {before['k']})")
        lines.append(f"- {a['label']} (`{a['id']}`): {was} -> {now}")
        for t in thresholds:
            value = t["value"]
            for key, name in (("estimate", "estimate"), ("ci_lower", "lower CI bound"),
                              ("ci_upper", "upper CI bound")):
                b, n = before.get(key), r.get(key)
                if b is not None and n is not None and (b - value) * (n - value) < 0:
                    flags.append(f"**{a['label']}**: the {name} crossed the decision threshold "
                                 f"{_pct(value)} ({t['label']}): {_pct(b)} -> {_pct(n)}")
    for aid in old:
        if aid not in {a["id"] for a in new_results["analyses"]}:
            lines.append(f"- `{aid}`: no longer in the plan")
    return lines, flags


def _summary(old_results, new_results, added, removed, changed, flags) -> str:
    """One paragraph: what changed, where the primary estimate moved, whether it matters."""
    new_primary = new_results["analyses"][0]
    r = new_primary["result"]
    old = {a["id"]: a["result"] for a in (old_results or {}).get("analyses", [])}
    what = []
    if added:
        what.append(f"adds {', '.join(added)}")
    if removed:
        what.append(f"removes {', '.join(removed)}")
    if changed:
        what.append(f"changes {', '.join(changed)}")
    head = f"This version {' and '.join(what)}." if what else "This version changes no extraction."
    now = f"{_pct(r['estimate'])} ({_interval(r)} {_pct(r['ci_lower'])} to {_pct(r['ci_upper'])}, k = {r['k']})"
    before = old.get(new_primary["id"])
    if before is None:
        moved = f"The primary analysis gives {now}."
    else:
        moved = (f"The primary analysis moved from {_pct(before['estimate'])} "
                 f"({_interval(before)} "
                 f"{_pct(before['ci_lower'])} to {_pct(before['ci_upper'])}, k = {before['k']}) to {now}.")
    if old_results is None:
        matters = ""
    elif flags:
        matters = (f" {len(flags)} estimate(s) or CI bound(s) crossed a decision threshold of the "
                   "plan (listed below): the panel should review the recommendation.")
    else:
        matters = " No estimate or CI bound crossed a decision threshold of the plan."
    return f"\n{head} {moved}{matters}"


def changelog_entry(old_snapshot: dict | None, new_snapshot: dict, old_results: dict | None,
                    new_results: dict, thresholds) -> str:
    """The changelog entry going from ``old_snapshot`` to ``new_snapshot`` (Markdown)."""
    new_v = new_snapshot["evidence_version"][:12]
    old_series = (old_snapshot or {}).get("series", {})
    new_series = new_snapshot["series"]
    if old_snapshot is None:
        head = f"## Evidence version {new_v} (first recorded version)\n"
    else:
        head = (f"## Evidence version {new_v} (previous "
                f"{old_snapshot['evidence_version'][:12]})\n")
    parts = [head]
    added = sorted(set(new_series) - set(old_series))
    removed = sorted(set(old_series) - set(new_series))
    changed = {sid: changed_fields(old_series[sid], new_series[sid])
               for sid in sorted(set(old_series) & set(new_series))}
    changed = {k: v for k, v in changed.items() if v}
    if added:
        parts.append("Series added: " + ", ".join(added) + ".")
    if removed:
        parts.append("Series removed: " + ", ".join(removed) + ".")
    for sid, fields in changed.items():
        shown = ", ".join(f"`{f}`" for f in fields[:12])
        more = f" and {len(fields) - 12} more" if len(fields) > 12 else ""
        parts.append(f"Series changed: {sid} ({len(fields)} fields: {shown}{more}).")
    if not (added or removed or changed) and old_snapshot is not None:
        parts.append("No extraction changed (the analysis plan or another evidence file did).")
    lines, flags = _analysis_lines(old_results, new_results, thresholds)
    parts.append(_summary(old_results, new_results, added, removed, changed, flags))
    parts.append("\nPooled analyses (before -> after):\n\n" + "\n".join(lines))
    if old_snapshot is not None:
        parts.append("\n" + ("Decision thresholds crossed:\n\n" + "\n".join(f"- {f}" for f in flags)
                             if flags else "No pooled analysis crossed a decision threshold of the plan."))
    return "\n".join(parts) + "\n"


def newest_entry(changelog: str) -> str:
    """The newest entry of a CHANGELOG.md text, without its per-analysis list: the heading, the
    series added/changed/removed, the summary paragraph and the thresholds crossed (what
    ``jakisynth run`` prints when the evidence version changed)."""
    start = changelog.find("## Evidence version")
    if start < 0:
        return ""
    end = changelog.find("\n## Evidence version", start + 1)
    kept, skipping = [], False
    for line in changelog[start:end if end > 0 else None].strip().splitlines():
        if line.startswith("Pooled analyses (before -> after):"):
            skipping = True
            continue
        if skipping and (not line.strip() or line.startswith("- ")):
            continue
        skipping = False
        kept.append(line)
    return "\n".join(kept).strip()


def changelog_text(out_dir, snapshot: dict, results: dict, plan) -> str:
    """The new CHANGELOG.md: the previous entries, one per recorded evidence version, with an
    entry for the current version prepended unless it is already recorded.

    Derived from the recorded versions, so a replay (an interrupted run, or two runs of the same
    evidence) cannot add an entry twice; an older changelog that holds an entry twice is
    repaired (the newest copy is kept). A previous snapshot (``evidence.json``) or results file
    that cannot be read, or is not one jakisynth wrote, counts as absent. A CHANGELOG.md that is
    not UTF-8 text raises :class:`~jakisynth.errors.OutputError` (its history would be lost).
    """
    out = Path(out_dir)
    old_text = _read_changelog(out / "CHANGELOG.md")
    entries = changelog_entries(old_text) if old_text and old_text.startswith(CHANGELOG_HEADER) else []
    current = snapshot["evidence_version"][:12]
    if entries and entries[0][0] == current:  # already recorded (a replay): nothing to add
        return _join(entries)
    old_snapshot = _snapshot(_load_json(out / "evidence.json")) if entries else None
    old_results = _results(_load_json(out / "results.json")) if old_snapshot else None
    entry = changelog_entry(old_snapshot, snapshot, old_results, results, plan.decision_thresholds)
    return _join([(current, entry), *entries])


def _read_changelog(path: Path) -> str | None:
    from ..errors import OutputError

    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OutputError(f"{path}: is not UTF-8 text, so its history cannot be kept; restore it "
                          "(e.g. git checkout) or move it away, then run again") from None


_HEADING = "## Evidence version "


def changelog_entries(text: str) -> list[tuple[str, str]]:
    """(version, entry text) of every entry of a CHANGELOG.md text, newest first. An entry
    repeated right after itself (the same version twice in a row: a replayed update of an older
    version of jakisynth) is kept once; a version that comes back later (evidence reverted) is
    a new entry and stays."""
    body = text[len(CHANGELOG_HEADER):] if text.startswith(CHANGELOG_HEADER) else text
    out: list[tuple[str, str]] = []
    starts = [m.start() for m in re.finditer(rf"(?m)^{re.escape(_HEADING)}", body)]
    for a, b in zip(starts, [*starts[1:], len(body)]):
        chunk = body[a:b].rstrip("\n") + "\n"
        version = chunk[len(_HEADING):].split(" ", 1)[0].split("\n", 1)[0]
        if not out or out[-1][0] != version:
            out.append((version, chunk))
    return out


def _join(entries: list[tuple[str, str]]) -> str:
    return CHANGELOG_HEADER + "".join("\n" + text for _, text in entries)


def _snapshot(data) -> dict | None:
    ok = (isinstance(data, dict) and isinstance(data.get("evidence_version"), str)
          and isinstance(data.get("series"), dict))
    return data if ok else None


def _results(data) -> dict | None:
    ok = (isinstance(data, dict) and isinstance(data.get("analyses"), list)
          and all(isinstance(a, dict) and isinstance(a.get("result"), dict) and "id" in a
                  for a in data["analyses"]))
    return data if ok else None
