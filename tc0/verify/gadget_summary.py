"""A gadget check's result (float or integer) as one paragraph for the terminal."""

from __future__ import annotations

#: mismatching cases a check result keeps, for the summary
KEEP = 5


def _cases_text(result: dict) -> str:
    return (f"{result['samples']} cases ({result['random_samples']} random, seed {result['seed']}, "
            f"+ {result['edge_cases']} edge)")


def gadget_summary(result: dict) -> str:
    """One paragraph describing a check result (float or integer)."""
    if "p" in result:
        fmt = f"p={result['p']}, e={result['e']}" + (f", m={result['m']}" if result["m"] else "")
        cases = _cases_text(result)
        text = f"{result['gadget']} ({fmt}): {cases}. Circuit vs reference: "
        text += "bit-identical" if result["bit_exact"] else f"{result['mismatches']} MISMATCHES"
        if result["oracle"].startswith("skipped"):
            text += f". Reference vs oracle: {result['oracle']}"
        else:
            text += f". Reference vs oracle ({result['oracle']}): "
            text += "agree" if not result["oracle_mismatches"] else f"{result['oracle_mismatches']} MISMATCHES"
            ulp = result["max_ulp_vs_mpfr"]
            text += f"; max distance from MPFR's correctly rounded result {ulp:.4g} ulp"
    else:
        fmt = f"W={result['bits']}" + (f", m={result['m']}" if result["m"] else "")
        how = "every input pair" if result["exhaustive"] else _cases_text(result)
        text = f"{result['gadget']} ({fmt}): {how}. Circuit vs Python integers: "
        text += "bit-identical" if result["bit_exact"] else f"{result['mismatches']} MISMATCHES"
    text += f". Circuit: size {result['size']}, depth {result['depth']}, edges {result['edges']}. "
    text += "OK." if result["ok"] else "FAILED."
    lines = [text]
    for case in result["first_mismatches"]:
        lines.append(f"  circuit mismatch: {case}")
    for case in result.get("first_oracle_mismatches", []):
        lines.append(f"  oracle mismatch: {case}")
    return "\n".join(lines)
