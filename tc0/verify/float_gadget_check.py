"""``tc0 check`` of a float gadget: its circuit run on many inputs and
compared with the p-bit reference and with an independent oracle.

Every case goes through three computations (``check_float_gadget``):

* the circuit (``tc0.simulate``, one batch for all cases);
* the p-bit reference (``tc0.numerics.reference``) on the same words: the
  circuit must be **bit-identical** to it (``mismatches``);
* an oracle independent of ``tc0.numerics`` (``oracle_mismatches``): MPFR
  (gmpy2) at precision p with DESIGN section 3's saturation and flush of the
  rounded magnitude for add, sub, mul, div, sqrt and prod (correct rounding);
  exact MPFR comparisons for lt, eq, max, relu; for exp the two p-bit
  neighbours of MPFR's exp (faithful rounding); for sum and dot an exact
  implementation of DESIGN's truncate-then-round rule written from its text
  (integers in units of 2^(T - W); the tests check it against the Fraction
  one of tests/float_oracles.py), the products of dot mul-rounded by MPFR.
  ``max_ulp_vs_mpfr`` is the largest distance, in ulps of the MPFR value (of
  the smallest normal when that is 0), between the reference and the
  correctly rounded MPFR result: 0 for the correctly rounded operations and
  comparisons, at most 1 for exp, and for sum/dot the cost of the truncation
  rule against the exactly rounded sum (of the exact products, for dot),
  which after cancellation can be large (math.inf if beyond float range).

MPFR's exponent range in this build is about +-2^30, so for formats with
e > 28 (p = 64, e = 65 among them) the oracle runs only on the cases whose
operands have |E| <= 2^20 (``mpfr`` gives the counts; random cases are drawn
near 1 often enough); the circuit is compared with the reference on every
case, and the verdict says on how many MPFR ran.

The inputs are ``tc0.verify.float_cases``: edge cases, then ``samples``
random valid words, checked in batches so that memory stays bounded.
"""

from __future__ import annotations

import time

import numpy as np

from tc0.compiler.catalog import SHAPE_PORTS, compile_gadget, float_format, float_spec, gadget_method, shape_operands
from tc0.errors import GadgetError
from tc0.models.module import check_seed
from tc0.numerics import reference
from tc0.simulator import simulate
from tc0.verify.float_cases import FloatCases
from tc0.verify.gadget_summary import KEEP, SAMPLE_BATCH, check_samples
from tc0.verify.mpfr_oracle import MPFR_CASE_MAX_EXPONENT, MPFR_MAX_E, MpfrOracle, mpfr_holds
from tc0.verify.words import Words


def _port_inputs(fmt, shape: str, cases: np.ndarray) -> dict[str, np.ndarray]:
    """Circuit input bits for the cases, in the catalog's port layout."""
    return fmt.port_bits(dict(zip(SHAPE_PORTS[shape], shape_operands(shape, cases))))


def _reference(fmt, op: str, shape: str, cases: np.ndarray) -> np.ndarray:
    """The reference's results as words (uint64, or Python ints for a wide format; booleans as 0/1)."""
    out = getattr(reference, op)(fmt, *shape_operands(shape, cases))
    return np.asarray(out).astype(np.uint64 if op in ("lt", "eq") else fmt.word_dtype).reshape(-1)


def _describe_case(W: Words, shape: str, case) -> str | list:
    if shape == "unary":
        return W.hex(case[0])
    if shape == "binary":
        return [W.hex(case[0]), W.hex(case[1])]
    if shape == "reduce":
        return [W.hex(v) for v in case]
    return {"a": [W.hex(v) for v in case[0]], "b": [W.hex(v) for v in case[1]]}


_ORACLE_TEXT = {
    "add": "MPFR, correctly rounded, then saturation/flush",
    "sub": "MPFR, correctly rounded, then saturation/flush",
    "mul": "MPFR, correctly rounded, then saturation/flush",
    "div": "MPFR, correctly rounded, then saturation/flush (x/0 = +-max, 0/0 = 0)",
    "sqrt": "MPFR, correctly rounded (0 for x <= 0)",
    "prod": "MPFR rounding of the exact product (integer significands, summed exponents)",
    "lt": "exact MPFR comparison",
    "eq": "exact MPFR comparison",
    "max": "exact MPFR comparison",
    "relu": "exact MPFR comparison",
    "exp": "faithful: one of the two p-bit neighbours of MPFR's exp, then saturation/flush",
    "sum": "DESIGN's truncate-then-round sum rule, exact arithmetic",
    "dot": "MPFR mul-rounded products, then DESIGN's sum rule, exact arithmetic",
}


def _oracle_compare(oracle: MpfrOracle, op: str, shape: str, cases: np.ndarray, ref: np.ndarray):
    """(mismatch indices with the oracle's answer, max ulps of the reference from MPFR's correct rounding)."""
    bad: list[tuple[int, object]] = []
    worst = 0.0
    for i, (case, got) in enumerate(zip(cases.tolist(), ref.tolist())):
        if shape == "unary":
            a = case[0]
            if op == "exp":
                lo, near, hi = oracle.exp_bracket(a)
                if got not in (lo, hi):
                    bad.append((i, sorted({lo, hi})))
                worst = max(worst, oracle.ulps(got, near))
                continue
            want = getattr(oracle, op)(a)
        elif shape == "binary":
            want = getattr(oracle, op)(*case)
            if op in ("lt", "eq"):
                if bool(got) != want:
                    bad.append((i, int(want)))
                continue
        elif op == "prod":
            want = oracle.prod(case)
        elif op == "sum":
            want = oracle.sum_rule(case)
            worst = max(worst, oracle.ulps(got, oracle.exact_sum(oracle.sum_terms(case))))
        else:  # dot
            a_row, b_row = case
            want = oracle.sum_rule([oracle.mul(x, y) for x, y in zip(a_row, b_row)])
            worst = max(worst, oracle.ulps(got, oracle.exact_sum(oracle.product_terms(a_row, b_row))))
        if got != want:
            bad.append((i, want))
        if op not in ("sum", "dot"):
            worst = max(worst, oracle.ulps(got, want))
    return bad, worst


def check_float_gadget(name: str, p: int, e: int | None = None, m: int | None = None, samples: int = 10000,
                       seed: int = 0, circuit=None, method: str | None = None, optimize: str = "size") -> dict:
    """Compile the catalog float gadget ``name`` ("float:add" or "add") for
    format (p, e) (and m operands), run it on the edge cases and ``samples``
    random cases (0..``MAX_SAMPLES``, in batches of ``SAMPLE_BATCH``), and
    compare with the reference (bit for bit) and the oracle. Returns a
    JSON-ready dict; ``ok`` is True iff both comparisons are clean, and
    ``mpfr`` says on how many cases the MPFR oracle ran (``cases``; all of
    them unless the format's exponents pass its range, then ``why``). Bad names or
    parameters raise GadgetError.

    ``circuit``: an already compiled circuit to check instead of compiling
    (it must have the gadget's ports for this format and m). ``method``: of
    div, sqrt and exp (``catalog.gadget_method``; the result names the one used).
    ``optimize``: what the circuit is built for (``Builder``).
    """
    spec = float_spec(name)
    check_samples(samples)
    requested, method = method, gadget_method(spec.name, method, p, e, m)
    fmt = float_format(p, e, method=method)
    seed = check_seed(seed)
    t0 = time.perf_counter()
    if circuit is None:
        circuit = compile_gadget(spec.name, None, m, p, e, requested, optimize)
    elif spec.max_m and m is None:
        raise GadgetError(f"{spec.name} needs m (the number of operands)", parameters=("m",))
    t_build = time.perf_counter() - t0
    op = spec.name.split(":", 1)[1]
    W = Words(fmt.p, fmt.e)
    shown = (lambda v: int(v)) if op in ("lt", "eq") else W.hex  # noqa: E731
    oracle, oracle_text, worst = MpfrOracle(W), _ORACLE_TEXT[op], 0.0
    partial = fmt.e > MPFR_MAX_E
    why = (f"the others have an exponent beyond +-2^{MPFR_CASE_MAX_EXPONENT.bit_length() - 1}, outside this "
           "MPFR build's range (about +-2^30)") if partial else None
    oracle_cases = 0

    seconds = dict.fromkeys(("simulate", "reference", "oracle"), 0.0)
    total = mismatches = oracle_mismatches = 0
    first, oracle_first = [], []
    batches = FloatCases(W, op, spec.shape, m or 1, seed).batches(samples, SAMPLE_BATCH)
    for cases in batches:
        t0 = time.perf_counter()
        out = simulate(circuit, _port_inputs(fmt, spec.shape, cases))["y"]
        got = out[:, 0].astype(np.uint64) if op in ("lt", "eq") else fmt.from_bits(out).reshape(-1)
        t1 = time.perf_counter()
        ref = _reference(fmt, op, spec.shape, cases)
        t2 = time.perf_counter()
        diff = np.flatnonzero(np.asarray(got != ref, dtype=bool))
        mismatches += diff.size
        first += [{"inputs": _describe_case(W, spec.shape, cases[i].tolist()), "circuit": shown(got[i]),
                   "reference": shown(ref[i])} for i in diff[: KEEP - len(first)]]
        held = np.flatnonzero(mpfr_holds(W, cases.tolist(), op)) if partial else np.arange(len(cases))
        oracle_cases += len(held)
        if len(held):
            oracle_bad, batch_worst = _oracle_compare(oracle, op, spec.shape, cases[held], ref[held])
            oracle_bad = [(int(held[i]), want) for i, want in oracle_bad]
            worst = max(worst, batch_worst)
            oracle_mismatches += len(oracle_bad)
            oracle_first += [
                {"inputs": _describe_case(W, spec.shape, cases[i].tolist()), "reference": shown(ref[i]),
                 "oracle": [shown(v) for v in want] if isinstance(want, list) else shown(want)}
                for i, want in oracle_bad[: KEEP - len(oracle_first)]
            ]
        seconds["simulate"] += t1 - t0
        seconds["reference"] += t2 - t1
        seconds["oracle"] += time.perf_counter() - t2
        total += len(cases)
    return {
        "gadget": spec.name,
        "p": fmt.p,
        "e": fmt.e,
        "m": m,
        "method": method,
        "optimize": optimize,
        "ok": mismatches == 0 and oracle_mismatches == 0,
        "bit_exact": mismatches == 0,
        "mismatches": mismatches,
        "oracle_mismatches": oracle_mismatches,
        "samples": total,
        "random_samples": samples,
        "edge_cases": total - samples,
        "seed": seed,
        "oracle": oracle_text,
        "mpfr": {"run": oracle_cases > 0, "cases": oracle_cases, "why": why if oracle_cases else
                 f"no case has every exponent within +-2^{MPFR_CASE_MAX_EXPONENT.bit_length() - 1}"},
        "max_ulp_vs_mpfr": worst,
        "size": circuit.size,
        "depth": circuit.depth,
        "edges": circuit.edges,
        "first_mismatches": first,
        "first_oracle_mismatches": oracle_first,
        "seconds": {"build": round(t_build, 3), **{k: round(v, 3) for k, v in seconds.items()}},
    }
