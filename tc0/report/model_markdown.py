"""The model report (``model_report.run_report``) as Markdown: verdict,
gadget depths, lemma table, sweeps over n and p, exact against fast, and where
gates and depth go."""

from __future__ import annotations


def _built_line(report: dict, comp: dict) -> str:
    """The fast circuit as built, beside the exact one at the same n."""
    fast_pt = comp["built"]
    exact_pt = next((pt for pt in report["points"] if pt["module"] == comp["exact"] and pt["n"] == fast_pt["n"]
                     and pt["p"] == fast_pt["p"] and pt["size"] is not None), None)
    if fast_pt["size"] is None:
        return f"{comp['fast']} at n = {fast_pt['n']} not built: {fast_pt['skipped']}"
    line = f"Built at n = {fast_pt['n']}: {comp['fast']} size {fast_pt['size']:,}, depth {fast_pt['depth']}"
    if exact_pt is not None:
        line += f"; {comp['exact']} size {exact_pt['size']:,}, depth {exact_pt['depth']}"
    return line + "."


def verdict(report: dict) -> str:
    """The report's first line: how many lemma rows exceed the paper's bound
    and the corrected bound, and which."""
    rows, over_paper, over_corrected = len(report["rows"]), report["over_paper"], report["over_corrected"]
    unstated = sum(r["paper_bound"] is None for r in report["rows"])
    stated = rows - unstated
    if over_paper:
        paper = f"{len(over_paper)} of {stated} lemma rows exceed the paper's bound ({', '.join(over_paper)})"
    elif not unstated:
        paper = f"All {rows} lemma rows are within the paper's bound"
    elif stated:
        paper = f"All {stated} lemma rows with a paper bound are within it"
    else:
        paper = f"The paper states no depth bound for these {rows} rows (tc0's derived bounds only)"
    if unstated and stated:
        paper += f"; {unstated} rows have tc0's derived bound only"
    if over_corrected:
        return (f"**NOT OK: {len(over_corrected)} of {rows} rows exceed the corrected bound "
                f"({', '.join(over_corrected)}).** {paper}.")
    return f"**{paper}; all {rows} are within the corrected bound.**"


def _shown(value) -> str:
    return "—" if value is None else str(value)


def _verdict_cell(ok: bool | None) -> str:
    return "—" if ok is None else "OK" if ok else "OVER"


def markdown(report: dict) -> str:
    """The report as Markdown: verdict, lemma table, n sweeps, p sweep, breakdown."""
    plan = report["plan"]
    built = ", built for depth" if plan.get("optimize") == "depth" else ""
    out = [f"# tc0 report: {plan['title']} (c = {plan['c']}, K = {plan['scales']}, "
           f"a = {plan['factor']}, main p = {plan['main_p']}{built})", ""]
    out.append(verdict(report))
    methods = plan.get("method", {})
    out += ["", "## Gadget depths", "", "| p | method of exp, sqrt, div | d_std | d_⊕ (m >= 4) | d_exp | d_sqrt | d_div |",
            "|---|---|---|---|---|---|---|"]
    for p, d in report["gadget_depths"].items():
        out.append(f"| {p} | {methods.get(p, 'table')} | {d['d_std']} | {d['d_sum(4)']} | {d['d_exp']} | "
                   f"{d['d_sqrt']} | {d['d_div']} |")
    out += ["", "## Lemma table", "",
            "| module | lemma | n | p | m | size | depth | paper formula | paper bound | paper | corrected formula "
            "| bound | corrected |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        corrected = r["formula"] if r["omits"] else "(same)"
        out.append(f"| {r['module']} | {r['lemma']} | {r['n']} | {r['p']} | {r['m']} | {r['size']:,} | {r['depth']} | "
                   f"{r['paper_formula']} | {_shown(r['paper_bound'])} | {_verdict_cell(r['ok_paper'])} | "
                   f"{corrected} | {r['bound']} | {'OK' if r['ok_corrected'] else 'OVER'} |")
    notes: dict[str, list[str]] = {}
    for r in report["rows"]:
        if r["omits"] and r["module"] not in notes.get(r["omits"], []):
            notes.setdefault(r["omits"], []).append(r["module"])
    if notes:
        out += ["", "Corrections to the paper's formulas, and bounds of tc0's own:", ""]
        out += [f"- {', '.join(modules)}: {note}" for note, modules in notes.items()]
    diagonal = plan.get("diagonal", False)
    title = "over (n, p) pairs, p growing with n" if diagonal else f"over n (p = {plan['main_p']})"
    out += ["", f"## Sweep {title}", "",
            "| module | n | depth | size | depth constant from n | size exponent (fit) | paper exponent | skipped |",
            "|---|---|---|---|---|---|---|---|"]
    for m, s in report["modules"].items():
        ns = [pt["n"] for pt in s["points"]]
        exp = s["size_exponent"]
        exp_text = "n/a" if exp is None else f"{exp:.2f} (n = {', '.join(map(str, s['fitted_on_n']))})"
        skipped = "; ".join(f"n={n}: {why}" for n, why in s["skipped"].items()) or "-"
        if not s["depth_constant_measured"]:
            const = f"not measured ({s['note']})"
        else:
            const = s["depth_constant_from"] if s["depth_constant"] else "NOT constant"
        depths = ", ".join(str(pt["depth"]) for pt in s["points"])
        streamed = {pt["n"] for pt in report["points"]
                    if pt["module"] == m and pt["streamed"] and (diagonal or pt["p"] == plan["main_p"])}
        sizes = ", ".join(f"{pt['size']:,}" + ("*" if pt["n"] in streamed else "") for pt in s["points"])
        out.append(f"| {m} | {', '.join(map(str, ns))} | {depths} | {sizes} | {const} | {exp_text} | "
                   f"{s['paper_exponent']} | {skipped} |")
    if any(pt["streamed"] for pt in report["points"]):
        out += ["", f"\\* streamed: estimated above --max-gates ({plan['max_gates']:,}), measured piece by piece "
                "(DESIGN section 9); the size is the sum of the pieces'."]
    out += ["", "## Sweep over p", "", "| module | n | p | depth | size | skipped |", "|---|---|---|---|---|---|"]
    for m, pts in report["p_sweep"].items():
        for pt in pts:
            size = "-" if pt["size"] is None else f"{pt['size']:,}"
            depth = "-" if pt["depth"] is None else pt["depth"]
            out.append(f"| {m} | {pt['n']} | {pt['p']} | {depth} | {size} | {pt['skipped'] or '-'} |")
    for comp in report.get("fast", []):
        exact, fast_name = comp["exact"], comp["fast"]
        exps = comp["size_exponent_estimated"]
        out += ["", f"## Exact {exact} against {fast_name} (AAttC)", "",
                f"Estimated circuit size (upper bound, no gates built) and float64 time and error at p = "
                f"{plan['main_p']}; fitted size exponent in n: {exact} "
                f"{exps.get(exact, float('nan')):.2f}, {fast_name} {exps.get(fast_name, float('nan')):.2f}.", "",
                _built_line(report, comp), "",
                f"| n | {exact} est. gates | {fast_name} est. gates | degree | rank | score bound | delta | "
                f"l-inf error (float64) | {exact} s | {fast_name} s |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in comp["points"]:
            if "skipped" in r:
                out.append(f"| {r['n']} | skipped: {r['skipped']} |||||||||")
                continue
            out.append(f"| {r['n']} | {r[exact + '_estimate']:,} | {r[fast_name + '_estimate']:,} | {r['degree']} | "
                       f"{r['rank']} | {r['score_bound']:.3g} | {r['delta']:g} | {r['linf_error']:.3g} | "
                       f"{r[exact + '_float64_seconds']:.3g} | {r[fast_name + '_float64_seconds']:.3g} |")
    out += ["", "## Where gates and depth go (largest n built, by float gadget)", "",
            "| module | n | gadget | gates | share | depth on critical path |", "|---|---|---|---|---|---|"]
    for m, b in report["breakdown"].items():
        total = sum(g["size"] for g in b["gadgets"]) or 1
        for g in b["gadgets"][:4]:
            out.append(f"| {m} | {b['n']} | {g['scope']} | {g['size']:,} | {100 * g['size'] / total:.0f}% | "
                       f"{'-' if g['depth_on_critical_path'] is None else g['depth_on_critical_path']} |")
    return "\n".join(out)
