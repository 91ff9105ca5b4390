"""A gadget check's result (float or integer) as one paragraph for the
terminal, and the sample limits the gadget checks share."""

from __future__ import annotations

from tc0.compiler.catalog import METHOD_GADGETS
from tc0.errors import GadgetError

#: mismatching cases a check result keeps, for the summary
KEEP = 5
#: most random cases of one gadget check
MAX_SAMPLES = 10_000_000
#: cases simulated and compared at once
SAMPLE_BATCH = 4096


def check_samples(samples) -> None:
    """A GadgetError naming samples unless it is an integer in 0..MAX_SAMPLES."""
    if not isinstance(samples, int) or isinstance(samples, bool) or not 0 <= samples <= MAX_SAMPLES:
        raise GadgetError(f"samples must be an integer in 0..{MAX_SAMPLES:,}, got {samples!r}",
                          parameters=("samples",))


def _cases_text(result: dict) -> str:
    return (f"{result['samples']} cases ({result['random_samples']} random, seed {result['seed']}, "
            f"+ {result['edge_cases']} edge)")


def gadget_summary(result: dict) -> str:
    """One paragraph describing a check result (float or integer)."""
    if "p" in result:
        fmt = f"p={result['p']}, e={result['e']}" + (f", m={result['m']}" if result["m"] else "")
        fmt += f", {result['method']} method" if result["gadget"] in METHOD_GADGETS else ""
        cases = _cases_text(result)
        text = f"{result['gadget']} ({fmt}): {cases}. Circuit vs reference: "
        text += "bit-identical" if result["bit_exact"] else f"{result['mismatches']} MISMATCHES"
        if result["mpfr"]["run"]:
            mpfr = result["mpfr"]
            on = "" if mpfr.get("cases", result["samples"]) == result["samples"] else f" on {mpfr['cases']} cases"
            text += f". Reference vs oracle ({result['oracle']}){on}: "
            text += "agree" if not result["oracle_mismatches"] else f"{result['oracle_mismatches']} MISMATCHES"
            ulp = result["max_ulp_vs_mpfr"]
            text += f"; max distance from MPFR's correctly rounded result {ulp:.4g} ulp"
    else:
        fmt = f"W={result['bits']}" + (f", m={result['m']}" if result["m"] else "")
        how = "every input pair" if result["exhaustive"] else _cases_text(result)
        text = f"{result['gadget']} ({fmt}): {how}. Circuit vs Python integers: "
        text += "bit-identical" if result["bit_exact"] else f"{result['mismatches']} MISMATCHES"
    text += f". Circuit: size {result['size']}, depth {result['depth']}, edges {result['edges']}. "
    text += ("OK" if result["ok"] else "FAILED") + _unchecked(result) + "."
    lines = [text]
    for case in result["first_mismatches"]:
        lines.append(f"  circuit mismatch: {case}")
    for case in result.get("first_oracle_mismatches", []):
        lines.append(f"  oracle mismatch: {case}")
    return "\n".join(lines)


def _unchecked(result: dict) -> str:
    """What the verdict rests on when the MPFR oracle did not see every case:
    " (circuit = reference on all N cases; MPFR on k of them: why)" after OK,
    " (MPFR on k of N cases: why)" after FAILED; "MPFR not run" for k = 0."""
    mpfr, total = result.get("mpfr", {"run": True}), result.get("samples")
    cases = mpfr.get("cases", total)
    if mpfr["run"] and cases == total:
        return ""
    if not mpfr["run"]:
        return f" ({'circuit = reference; ' if result['ok'] else ''}MPFR not run: {mpfr['why']})"
    if result["ok"]:
        return f" (circuit = reference on all {total} cases; MPFR on {cases} of them: {mpfr['why']})"
    return f" (MPFR on {cases} of {total} cases: {mpfr['why']})"
