"""Model modules compiled to circuits (tc0.models.compile): every module's
circuit bit-identical to the p-bit reference, with weights as constants and
as input ports (checked by tc0.verify.module_check; the estimate must bound
the size), scopes, the gate budget, and the gates the builder makes but drops.

The p-bit reference is itself checked gadget by gadget against MPFR
(tests/numerics/test_reference.py) and the float64 definitions against
PyTorch / numpy formulas (tests/models/test_definitions.py); here the circuit
of every module must reproduce the reference word for word. Slow sizes (n = 4
with attention inside, flowar with n = 4) are marked ``slow`` (``pytest -m
slow``). The module commands are tested in tests/cli/test_cli_modules.py, the
VAR modules in tests/models/test_var_circuits.py."""

from __future__ import annotations

import numpy as np
import pytest
from model_format import FMT

from tc0 import Builder
from tc0.errors import GateBudgetError
from tc0.models import registry
from tc0.models.compile import build_circuit
from tc0.models.estimate import estimate
from tc0.models.flowar.config import FlowARConfig
from tc0.models.module import random_weights
from tc0.verify import module_check

# (module, n, c, K) run in the default suite; n in {1, 2, 4} and c in {1, 2, 4} all occur. A layer norm
# over c <= 2 channels does not depend on its input (DESIGN section 4), so modules holding one are
# checked at c >= 3 only: at c <= 2 a wrong circuit before the layer norm would still match.
FAST = [
    *[(m, n, c, 1) for m in ("matmul", "mlp", "ffn") for n, c in ((1, 1), (2, 2), (4, 1), (1, 4))],
    *[("layernorm", n, c, 1) for n, c in ((1, 3), (2, 3), (4, 3), (1, 4))],
    *[("downsample", n, c, 1) for n, c in ((2, 1), (2, 2), (4, 1), (2, 4))],
    *[("upsample", n, c, 1) for n, c in ((1, 1), (2, 2), (1, 4))],
    *[(m, n, c, 1) for m in ("attention", "transformer") for n, c in ((1, 1), (2, 2), (1, 4))],
    ("flow-matching", 1, 3, 1),
    ("flowar", 2, 3, 2),
]
SLOW = [
    ("upsample", 4, 2, 1), ("attention", 4, 1, 1), ("attention", 2, 4, 1), ("flow-matching", 1, 4, 1),
    ("flow-matching", 2, 3, 1), ("transformer", 4, 2, 1), ("flowar", 2, 4, 2), ("flowar", 4, 3, 3),
]
WITH_WEIGHTS = [m for m, spec in registry.FAMILIES["flowar"].modules.items()
                if spec.weights(FlowARConfig(n=2, c=2, scales=2 if "scales" in spec.parameters else 1))]


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
    n, c = (1, 3) if module.endswith("flow-matching") else (2, 3) if module.endswith("flowar") else (2, 2)
    _check(module, n, c, 1, weights_as_inputs=True)


@pytest.mark.slow
@pytest.mark.parametrize("module,n,c,K", SLOW, ids=lambda v: str(v))
def test_circuit_bit_exact_large(module, n, c, K):
    _check(module, n, c, K, samples=2)


@pytest.mark.slow
@pytest.mark.parametrize("n,c,K", [(2, 3, 2), (4, 3, 3)])
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


def test_max_gates_refused_before_building():
    spec, cfg = registry.get_module("attention"), FlowARConfig(n=2, c=2)
    with pytest.raises(GateBudgetError, match="max_gates"):
        build_circuit(spec, cfg, FMT, random_weights(spec, cfg), max_gates=1000)


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
