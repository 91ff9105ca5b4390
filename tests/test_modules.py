"""FlowAR modules: circuits bit-identical to the p-bit reference, the module
CLI (compile, weights, inputs, run, check), and bad input.

The p-bit reference is itself checked gadget by gadget against MPFR
(test_float_reference.py) and the float64 definitions against PyTorch /
numpy formulas (test_model_reference.py); here the circuit of every module
must reproduce the reference word for word, with weights as constants and as
input ports. Slow sizes (n = 4 with attention inside, flowar with n = 4) are
marked ``slow`` (``pytest -m slow``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_helpers import fails, no_temp_files, ok, run
import tc0
from tc0 import Builder
from tc0.errors import GateBudgetError
from tc0.models import registry
from tc0.models.backends import Float64Backend, PbitBackend
from tc0.models.compile import build_circuit
from tc0.models.estimate import estimate, gadget_cost
from tc0.models.flowar.config import FlowARConfig
from tc0.models.flowar.model import transformer
from tc0.models.layers import aattc_plan
from tc0.models.layers.attention import attention
from tc0.models.layers.fast_attention import fast_attention
from tc0.models.module import random_weights
from tc0.models.run import run as run_module_on
from tc0.numerics import FloatFormat
from tc0.verify import module_check

FMT = FloatFormat(8)

# (module, n, c, K) run in the default suite; n in {1, 2, 4} and c in {1, 2, 4} all occur
FAST = [
    *[(m, n, c, 1) for m in ("matmul", "mlp", "ffn", "layernorm") for n, c in ((1, 1), (2, 2), (4, 1), (1, 4))],
    *[("downsample", n, c, 1) for n, c in ((2, 1), (2, 2), (4, 1), (2, 4))],
    *[("upsample", n, c, 1) for n, c in ((1, 1), (2, 2), (1, 4))],
    *[(m, n, c, 1) for m in ("attention", "transformer") for n, c in ((1, 1), (2, 2), (1, 4))],
    ("flow-matching", 1, 1, 1), ("flow-matching", 2, 2, 1),
    ("flowar", 2, 1, 2),
]
SLOW = [
    ("upsample", 4, 2, 1), ("attention", 4, 1, 1), ("attention", 2, 4, 1), ("flow-matching", 1, 4, 1),
    ("flow-matching", 4, 1, 1), ("transformer", 4, 2, 1), ("flowar", 2, 2, 2), ("flowar", 4, 1, 3),
]
WITH_WEIGHTS = [m for m, spec in registry.MODULES.items() if spec.weights(FlowARConfig(n=2, c=2, scales=2 if "scales" in spec.parameters else 1))]


def _check(module, n, c, K, weights_as_inputs=False, samples=3):
    spec = registry.get_module(module)
    cfg = FlowARConfig(n=n, c=c, scales=K)
    weights = random_weights(spec, cfg, seed=n + 10 * c)
    result = module_check.check_module(spec, cfg, FMT, weights, samples=samples, seed=K, weights_as_inputs=weights_as_inputs)
    assert result["mismatches"] == 0 and result["bit_exact"], result
    assert result["samples"] == samples
    assert result["size"] <= estimate(spec, cfg, FMT).gates, "the estimate must bound the size"
    # p-bit vs float64 on the same rounded inputs: a few ulps per operation, not garbage
    assert result["max_rel_err"] < 0.1, result
    return result


@pytest.mark.parametrize("module,n,c,K", FAST, ids=lambda v: str(v))
def test_circuit_bit_exact(module, n, c, K):
    _check(module, n, c, K)


@pytest.mark.parametrize("module", [m for m in WITH_WEIGHTS if m != "flowar"])
def test_circuit_bit_exact_weights_as_inputs(module):
    n, c = (1, 2) if module == "flow-matching" else (2, 2)
    _check(module, n, c, 1, weights_as_inputs=True)


@pytest.mark.slow
@pytest.mark.parametrize("module,n,c,K", SLOW, ids=lambda v: str(v))
def test_circuit_bit_exact_large(module, n, c, K):
    _check(module, n, c, K, samples=2)


@pytest.mark.slow
@pytest.mark.parametrize("n,c,K", [(2, 1, 2), (4, 1, 3)])
def test_flowar_weights_as_inputs(n, c, K):
    _check("flowar", n, c, K, weights_as_inputs=True, samples=2)


@pytest.mark.slow
def test_flowar_scopes_name_scales():
    spec, cfg = registry.get_module("flowar"), FlowARConfig(n=2, c=1, scales=2)
    scopes = set(build_circuit(spec, cfg, FMT, random_weights(spec, cfg)).scopes)
    for needle in ("flowar/scale1/transformer/attention", "flowar/scale2/upsample", "flowar/scale2/flow_matching/layernorm"):
        assert any(s.startswith(needle) for s in scopes), needle


def test_weights_as_inputs_same_function_as_constants():
    """The same weights fed as ports give the constant circuit's outputs."""
    spec, cfg = registry.get_module("ffn"), FlowARConfig(n=2, c=2)
    weights = random_weights(spec, cfg, seed=5)
    const = build_circuit(spec, cfg, FMT, weights)
    ports = build_circuit(spec, cfg, FMT, weights, weights_as_inputs=True)
    assert list(ports.inputs) == ["X", "W1", "b1", "W2", "b2"]
    assert list(const.inputs) == ["X"]
    x = FMT.encode(np.random.default_rng(1).uniform(-1, 1, (5, 2, 2, 2)))
    from tc0.simulator import simulate

    words = {"X": x, **{k: np.broadcast_to(FMT.encode(v), (5,) + v.shape) for k, v in weights.items()}}
    a = simulate(const, FMT.port_bits({"X": x}))["Y"]
    b = simulate(ports, FMT.port_bits(words))["Y"]
    assert np.array_equal(a, b)
    assert ports.size > const.size  # constants fold, ports do not


def test_scopes_name_modules_and_gadgets():
    spec, cfg = registry.get_module("flow-matching"), FlowARConfig(n=1, c=1)
    scopes = set(build_circuit(spec, cfg, FMT, random_weights(spec, cfg)).scopes)
    for needle in ("flow-matching/interpolate/fmul", "flow-matching/flow_matching/layernorm/fsqrt",
                   "flow-matching/flow_matching/attention/fexp"):
        assert any(s.startswith(needle) for s in scopes), (needle, sorted(scopes)[:20])


def test_estimate_counts_operations():
    """matmul n x n x c times c x c: n^2 c^2 products and n^2 c sums of c terms."""
    spec = registry.get_module("matmul")
    est = estimate(spec, FlowARConfig(n=3, c=4), FMT)
    assert est.counts == {("mul", 0): 9 * 16, ("sum", 4): 9 * 4}
    assert est.gates == 144 * gadget_cost(8, 9, "mul")[0] + 36 * gadget_cost(8, 9, "sum", 4)[0]


def test_max_gates_refused_before_building():
    spec, cfg = registry.get_module("attention"), FlowARConfig(n=2, c=2)
    with pytest.raises(GateBudgetError, match="max_gates"):
        build_circuit(spec, cfg, FMT, random_weights(spec, cfg), max_gates=1000)


@pytest.mark.parametrize("attend", ["attention", "fast_attention", "transformer"])
def test_last_rows_are_the_last_rows_of_the_whole(attend):
    """``last_rows=k`` (FlowAR reads only its transformers' last tokens) gives
    exactly the last k rows of the full result, on the p-bit and float64 backends."""
    rng = np.random.default_rng(3)
    tokens, c, k = 6, 2, 4
    x = rng.uniform(-1, 1, (tokens, c))
    names = ["attn.W_Q", "attn.W_K", "attn.W_V", "ffn.W1", "ffn.W2"]
    weights = {name: rng.uniform(-0.5, 0.5, (c, c)) for name in names} | {
        "ffn.b1": rng.uniform(-0.5, 0.5, c), "ffn.b2": rng.uniform(-0.5, 0.5, c)}
    poly = aattc_plan.plan(score_bound=2.0, delta=0.1, c=c)
    qkv = ("attn.W_Q", "attn.W_K", "attn.W_V")
    run_module = {
        "attention": lambda B, x, w, rows: attention(B, x, *(w[k] for k in qkv), last_rows=rows),
        "fast_attention": lambda B, x, w, rows: fast_attention(B, x, *(w[k] for k in qkv), poly, last_rows=rows),
        "transformer": lambda B, x, w, rows: transformer(B, x, w, last_rows=rows),
    }[attend]
    for B in (PbitBackend(FMT), Float64Backend()):
        as_backend = {name: B.constant(v) for name, v in weights.items()}
        whole = np.asarray(run_module(B, B.constant(x), as_backend, None))
        last = np.asarray(run_module(B, B.constant(x), as_backend, k))
        assert last.shape == (k, c)
        if isinstance(B, PbitBackend):
            assert np.array_equal(last, whole[-k:])
        else:
            np.testing.assert_allclose(last, whole[-k:], rtol=1e-13)


def test_flowar_builds_few_gates_it_drops():
    """The builder keeps every gate it makes until ``build()``, so gates the
    circuit drops cost memory while compiling: FlowAR makes under 3 % of them
    (27 % before gadgets built only the bits they return and the transformers
    only the tokens FlowAR reads)."""
    spec, cfg = registry.get_module("flowar"), FlowARConfig(n=2, c=1, scales=2)
    made = []
    real_build = Builder.build

    def counting_build(self):
        made.append(self.n_nodes)
        return real_build(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Builder, "build", counting_build)
        circuit = build_circuit(spec, cfg, FMT, random_weights(spec, cfg))
    dropped = made[-1] - 2 - sum(circuit.inputs.values()) - circuit.size
    assert 0 <= dropped < 0.03 * made[-1], (dropped, made[-1])


# ------------------------------------------------------------------ CLI
def test_cli_check_json_fields(tmp_path):
    out = ok("check", "mlp", "--n", 2, "--c", 2, "--p", 8, "--json").output
    data = json.loads(out)
    for key in ("bit_exact", "mismatches", "samples", "max_abs_err", "max_rel_err", "size", "depth"):
        assert key in data, key
    assert data["bit_exact"] is True and data["mismatches"] == 0 and data["samples"] == 8
    ok("compile", "mlp", "--n", 2, "--c", 2, "-o", tmp_path / "mlp.tc0")
    circuit = tc0.load(tmp_path / "mlp.tc0")
    assert (circuit.size, circuit.depth) == (data["size"], data["depth"])


def test_cli_check_exits_1_on_mismatch(monkeypatch):
    """A reference that differs in one bit must be reported, with exit status 1."""
    real = module_check.run

    def off_by_one(spec, cfg, backend, *args):
        out = real(spec, cfg, backend, *args)
        if isinstance(backend, PbitBackend):
            out = np.array(out)
            out.reshape(-1)[0] ^= np.uint64(1)
        return out

    monkeypatch.setattr(module_check, "run", off_by_one)
    result = run("check", "matmul", "--n", 1, "--c", 1, "--samples", 2, "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["bit_exact"] is False and data["mismatches"] == 2


def test_cli_weights_file_reproduces_seeded_compile(tmp_path):
    w = tmp_path / "w.npz"
    ok("weights", "flowar", "--n", 2, "--c", 1, "--seed", 3, "-o", w)
    with np.load(w, allow_pickle=False) as data:
        assert "scale1.tf.attn.W_Q" in data.files and "scale2.fm.mlp_out.b" in data.files
    ok("weights", "transformer", "--n", 1, "--c", 2, "--seed", 3, "-o", w)
    ok("compile", "transformer", "--n", 1, "--c", 2, "--seed", 3, "-o", tmp_path / "a.tc0")
    ok("compile", "transformer", "--n", 1, "--c", 2, "--weights", w, "-o", tmp_path / "b.tc0")
    a, b = tc0.load(tmp_path / "a.tc0"), tc0.load(tmp_path / "b.tc0")
    assert np.array_equal(a.kind, b.kind) and np.array_equal(a.fanins, b.fanins)
    no_temp_files(tmp_path)


def test_cli_run_matmul_against_numpy(tmp_path):
    """float64: exactly X W; pbit: within the rounding bound of c products and one sum."""
    n, c = 3, 4
    rng = np.random.default_rng(0)
    x, wm = rng.uniform(-1, 1, (n, n, c)), rng.uniform(-1, 1, (c, c))
    np.savez(tmp_path / "in.npz", X=x)
    np.savez(tmp_path / "w.npz", W=wm)
    common = ("run", "matmul", "--n", n, "--c", c, "--inputs", tmp_path / "in.npz", "--weights", tmp_path / "w.npz")
    ok(*common, "-o", tmp_path / "f.npz")
    ok(*common, "--backend", "pbit", "--p", 8, "-o", tmp_path / "p.npz")
    with np.load(tmp_path / "f.npz") as f, np.load(tmp_path / "p.npz") as p:
        assert list(f.files) == ["Y"] and f["Y"].shape == (n, n, c)
        np.testing.assert_allclose(f["Y"], x @ wm, rtol=1e-14)
        bound = (c + 3) * 2.0**-7 * (np.abs(x) @ np.abs(wm))  # ulp-level errors of inputs, products, sum
        assert np.all(np.abs(p["Y"] - x @ wm) <= bound)


def test_cli_inputs_then_run_flowar(tmp_path):
    ok("inputs", "flowar", "--n", 4, "--c", 1, "--scales", 3, "-o", tmp_path / "in.npz")
    with np.load(tmp_path / "in.npz") as data:
        assert {k: data[k].shape for k in data.files} == {
            "Z_init": (1, 1, 1), "F0_1": (1, 1, 1), "F0_2": (2, 2, 1), "F0_3": (4, 4, 1)}
    ok("run", "flowar", "--n", 4, "--c", 1, "--scales", 3, "--t", "0.2,0.5,0.8",
       "--inputs", tmp_path / "in.npz", "-o", tmp_path / "y.npz")
    with np.load(tmp_path / "y.npz") as y:
        assert y["Y"].shape == (4, 4, 1) and np.all(np.isfinite(y["Y"]))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "args,needles",
    [
        (["flowar", "--n", 3], ["--n 3", "divisible"]),
        (["flowar", "--n", 4, "--scales", 3, "--factor", 3], ["divisible"]),
        (["downsample", "--n", 3], ["--n 3", "divisible"]),
        (["attention", "--c", 0], ["--c"]),
        (["attention", "--n", 0], ["--n"]),
        (["flowar", "--scales", 0], ["--scales"]),
        (["attention", "--scales", 2], ["--scales"]),
        (["attention", "--factor", 3], ["--factor"]),
        (["flow-matching", "--t", "1.5"], ["--t", "1.5"]),
        (["flow-matching", "--t", "abc"], ["--t", "abc"]),
        (["flow-matching", "--t", "0.1,0.2"], ["--t", "2 timestep"]),
        (["flowar", "--t", "0.5"], ["--t", "1 timestep", "2 scale"]),
        (["attention", "--bound", "-1"], ["--bound"]),
        (["attention", "--bits", 8], ["--bits", "gadgets"]),
        (["attention", "--max-gates", 1000], ["max-gates", "estimated"]),
        (["attention", "--p", 1], ["p"]),
        (["attention", "--hidden", 0], ["--hidden"]),
        (["int:add", "--bits", 8, "--n", 3], ["--n", "modules"]),
        (["float:add", "--p", 8, "--weights-as-inputs"], ["--weights-as-inputs"]),
        (["flowarr"], ["unknown module or gadget", "flowarr"]),
    ],
)
def test_compile_bad_module_arguments(tmp_path, args, needles):
    out = tmp_path / "bad.tc0"
    fails("compile", *args, "-o", out, needles=needles)
    assert not out.exists()
    no_temp_files(tmp_path)


def _weights_file(tmp_path, **override):
    spec, cfg = registry.get_module("mlp"), FlowARConfig(n=2, c=2)
    arrays = random_weights(spec, cfg)
    arrays.update(override)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path = tmp_path / "w.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "override,needles",
    [
        ({"W": np.ones((2, 3))}, ["'W'", "(2, 3)", "(2, 2)"]),
        ({"b": np.ones((2, 1))}, ["'b'", "shape"]),
        ({"W_Q": np.ones((2, 2))}, ["unknown", "W_Q"]),
        ({"b": None}, ["missing", "b"]),
        ({"W": np.array([[1.0, np.nan], [0, 1]])}, ["'W'", "NaN"]),
        ({"b": np.array([np.inf, 0])}, ["'b'", "infinite"]),
        ({"b": np.array(["a", "b"])}, ["'b'", "numeric"]),
    ],
)
def test_bad_weights_file(tmp_path, override, needles):
    path = _weights_file(tmp_path, **override)
    fails("compile", "mlp", "--n", 2, "--c", 2, "--weights", path, "-o", tmp_path / "x.tc0", needles=needles)
    fails("check", "mlp", "--n", 2, "--c", 2, "--weights", path, needles=needles)


def test_unreadable_weights_files(tmp_path):
    np.save(tmp_path / "bare.npy", np.ones(3))
    np.savez(tmp_path / "obj.npz", W=np.array([{"a": 1}], dtype=object))
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    cases = {
        tmp_path / "bare.npy": "bare .npy",
        tmp_path / "obj.npz": "pickle",
        tmp_path / "junk.npz": "not a readable .npz",
        tmp_path / "absent.npz": "no such file",
    }
    for path, needle in cases.items():
        fails("compile", "mlp", "--weights", path, "-o", tmp_path / "x.tc0", needles=(str(path.name), needle))


def test_bad_inputs_file(tmp_path):
    np.savez(tmp_path / "wrong.npz", X=np.zeros((2, 2, 3)))
    fails("run", "mlp", "--n", 2, "--c", 2, "--inputs", tmp_path / "wrong.npz", "-o", tmp_path / "y.npz",
          needles=("input array 'X'", "(2, 2, 3)"))
    np.savez(tmp_path / "named.npz", Y=np.zeros((2, 2, 2)))
    fails("run", "mlp", "--n", 2, "--c", 2, "--inputs", tmp_path / "named.npz", "-o", tmp_path / "y.npz",
          needles=("unknown input", "Y"))
    np.savez(tmp_path / "ok.npz", X=np.zeros((2, 2, 2)))
    fails("run", "mlp", "--n", 2, "--c", 2, "--inputs", tmp_path / "ok.npz", "--p", 8, "-o", tmp_path / "y.npz",
          needles=("--p",))
    assert not (tmp_path / "y.npz").exists()


def test_check_module_bad_samples():
    fails("check", "mlp", "--samples", 0, needles=("--samples",))
    fails("check", "float:add", "--p", 4, "--case-seed", 3, needles=("--case-seed",))


def test_api_errors_are_value_errors():
    spec = registry.get_module("downsample")
    with pytest.raises(ValueError, match="divisible"):
        run_module_on(spec, FlowARConfig(n=3, c=1), Float64Backend(), {"X": np.zeros((3, 3, 1))}, {})
    with pytest.raises(ValueError, match="unknown module"):
        registry.get_module("nope")
