"""The VAR modules (DESIGN section 8) compiled to circuits: every module's
circuit bit-identical to the p-bit reference (``tc0.models.run`` on the pbit
backend, itself checked gadget by gadget against MPFR in
tests/numerics/test_reference.py), with weights as constants and as input
ports, at n in {2, 4}, c in {2, 4}, K in {2, 3}; the estimate must bound the
size. The float64 definitions are checked against PyTorch in
tests/models/test_var_definitions.py. The larger shapes, and ``var`` at
n = 8 streamed, are ``slow`` (``pytest -m slow``)."""

from __future__ import annotations

import pytest
from model_format import FMT

from tc0.cluster import Runner
from tc0.errors import ModelError
from tc0.models.estimate import estimate
from tc0.models.module import make_config, random_weights
from tc0.models.registry import get_module
from tc0.verify import module_check

# (module, n, c, options) of the default suite
FAST = [
    ("conv", 2, 2, {}), ("conv", 4, 2, {"c_out": 3}), ("conv", 2, 4, {}),
    ("upsample", 2, 2, {"out_size": 3}), ("upsample", 3, 2, {"out_size": 7}),
    ("var-transformer", 2, 2, {"scales": 2}), ("var-transformer", 2, 4, {"scales": 2}),
    ("var-transformer", 4, 2, {"scales": 3}),
    ("var-reconstruct", 2, 2, {"scales": 2}), ("var-reconstruct", 4, 2, {"scales": 3}),
    ("vqvae-decoder", 2, 2, {}),
    ("var", 2, 2, {"scales": 2}),
    ("fast-var-transformer", 2, 2, {"scales": 2}), ("fast-vqvae-decoder", 2, 2, {}),
]
SLOW = [
    ("conv", 4, 4, {}), ("var-transformer", 4, 2, {"sizes": (2, 3, 4)}), ("var-reconstruct", 4, 4, {"scales": 2}),
    ("var-reconstruct", 4, 4, {"scales": 3}), ("var-transformer", 4, 4, {"scales": 3}), ("vqvae-decoder", 2, 4, {}),
    ("vqvae-decoder", 4, 2, {}), ("var", 2, 4, {"scales": 2}), ("var", 4, 2, {"scales": 3}),
    ("fast-var", 4, 2, {"scales": 3}),
]
#: past ~50 M estimated gates a whole build takes over 10 GB: these are checked streamed
SLOW_STREAMED = [("var", 4, 4, {"scales": 3}), ("var", 8, 2, {"scales": 3})]
#: every module with weights, with weights as input ports (small shapes)
PORTS = [("conv", 2, 2, {"c_out": 3}), ("var-transformer", 2, 2, {"scales": 2}),
         ("var-reconstruct", 2, 2, {"scales": 2}), ("vqvae-decoder", 2, 2, {}), ("var", 2, 2, {"scales": 2}),
         ("fast-var-transformer", 2, 2, {"scales": 2})]


def _check(module, n, c, options, weights_as_inputs=False, samples=3, **stream):
    spec = get_module(module)
    cfg = make_config(spec, n=n, c=c, **options)
    weights = random_weights(spec, cfg, seed=n + 10 * c)
    result = module_check.check_module(spec, cfg, FMT, weights, samples=samples, seed=1,
                                       weights_as_inputs=weights_as_inputs, **stream)
    assert result["bit_exact"] and result["mismatches"] == 0, result
    assert result["samples"] == samples
    assert result["size"] <= estimate(spec, cfg, FMT).gates * (1.01 if stream else 1), "the estimate bounds the size"
    # p-bit vs float64 on the same rounded inputs: a few ulps per operation, not garbage
    assert result["max_rel_err"] < 0.2, result
    return result


@pytest.mark.parametrize("module,n,c,options", FAST, ids=str)
def test_circuit_bit_exact(module, n, c, options):
    _check(module, n, c, options)


@pytest.mark.parametrize("module,n,c,options", PORTS, ids=str)
def test_circuit_bit_exact_weights_as_inputs(module, n, c, options):
    _check(module, n, c, options, weights_as_inputs=True, samples=2)


@pytest.mark.slow
@pytest.mark.parametrize("module,n,c,options", SLOW, ids=str)
def test_circuit_bit_exact_large(module, n, c, options):
    _check(module, n, c, options, samples=2, max_gates=100_000_000)  # var at n = 4: 50 M estimated


@pytest.mark.slow
@pytest.mark.parametrize("module,n,c,options", SLOW_STREAMED, ids=str)
def test_circuit_bit_exact_streamed(module, n, c, options):
    """Streamed piece by piece (as ``tc0 check --stream``): every piece and the output bit-exact."""
    result = _check(module, n, c, options, samples=2, runner=Runner())
    assert result["pieces"] > 1 and result["mismatching_ops"] == []


@pytest.mark.slow
def test_var_n4_weights_as_inputs_streamed():
    result = _check("var", 4, 2, {"scales": 3}, weights_as_inputs=True, samples=2, runner=Runner())
    assert result["mismatching_ops"] == []


@pytest.mark.parametrize("options,needle", [
    ({"scales": 3}, "too small for K = 3"), ({"sizes": (1, 1, 2)}, "strictly increasing"),
    ({"sizes": (1, 3)}, "must end at n"), ({"scales": 2, "sizes": (1, 2, 4)}, "sizes lists 3"),
    ({"scales": 4}, "not divisible"), ({"c_out": 2}, "takes no c_out"),
])
def test_bad_shapes_are_refused(options, needle):
    n = 6 if options.get("scales") == 4 else 2
    with pytest.raises(ModelError, match=needle):
        make_config(get_module("var-transformer"), n=n, c=2, **options)


def test_upsample_size_and_factor_exclude_each_other():
    spec = get_module("upsample")
    with pytest.raises(ModelError, match="not both"):
        make_config(spec, n=2, c=1, factor=3, out_size=5)
    with pytest.raises(ModelError, match="larger than n"):
        make_config(spec, n=4, c=1, out_size=4)
