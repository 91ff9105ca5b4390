"""The compilable VAR modules (DESIGN section 8): their input and weight
shapes and their definitions from the shared layers and the VAR model, exact
and fast (AAttC in place of every attention)."""

from __future__ import annotations

from tc0.models.layers.attention import attention
from tc0.models.layers.conv import conv3x3
from tc0.models.layers.fast_attention import planned_attention
from tc0.models.module import ModuleSpec
from tc0.models.var import model as M
from tc0.models.var.config import DEFAULT_SCALES, VARConfig


def _attn(prefix: str, c: int) -> dict:
    return {f"{prefix}W_Q": (c, c), f"{prefix}W_K": (c, c), f"{prefix}W_V": (c, c)}


def _conv(prefix: str, c_in: int, c_out: int) -> dict:
    return {f"{prefix}K": (3, 3, c_in, c_out), f"{prefix}b": (c_out,)}


def _prefixed(prefix: str, shapes: dict) -> dict:
    return {f"{prefix}{k}": v for k, v in shapes.items()}


def _transformer_weights(cfg: VARConfig) -> dict:
    return {k: v for i in range(1, cfg.K + 1) for k, v in _attn(f"attn{i}.", cfg.c).items()}


def _reconstruct_weights(cfg: VARConfig) -> dict:
    return {k: v for i in range(1, cfg.K + 1) for k, v in _conv(f"conv{i}.", cfg.c, cfg.c).items()}


def _decoder_weights(cfg: VARConfig) -> dict:
    c = cfg.c
    return {**_conv("conv_in.", c, c), **_conv("res1.conv_a.", c, c), **_conv("res1.conv_b.", c, c),
            **_attn("attn.", c), **_conv("res2.conv_a.", c, c), **_conv("res2.conv_b.", c, c),
            **_conv("up.conv.", c, c), **_conv("conv_out.", c, 3)}


def _var_weights(cfg: VARConfig) -> dict:
    return {**_prefixed("tf.", _transformer_weights(cfg)), **_prefixed("rec.", _reconstruct_weights(cfg)),
            **_prefixed("dec.", _decoder_weights(cfg))}


def _x_init(cfg: VARConfig) -> dict:
    s1 = cfg.s[0]
    return {"X_init": (s1, s1, cfg.c)}


def _image(cfg: VARConfig) -> dict:
    return {"X": (cfg.n, cfg.n, cfg.c)}


def _maps(cfg: VARConfig) -> dict:
    return {f"r{k}": (s, s, cfg.c) for k, s in enumerate(cfg.s, start=1)}


def _has_sizes(cfg: VARConfig) -> None:
    """Refuse an n and K without default sizes (``VARConfig.s`` says why)."""
    cfg.s  # noqa: B018  (the property raises the ModelError)


def _run_transformer(B, x, w, cfg, attend=attention):
    return M.var_transformer(B, x["X_init"], cfg.s, w, attend)


def _run_decoder(B, x, w, cfg, attend=attention):
    return M.vqvae_decoder(B, x["X"], w, attend)


def _run_var(B, x, w, cfg, attend=attention):
    return M.var(B, x["X_init"], cfg.s, w, attend)


def _spec(name, summary, inputs, weights, forward, scaled: bool, **options) -> ModuleSpec:
    if scaled:
        options = {"parameters": ("scales", "sizes"), "check": _has_sizes, **options}
    return ModuleSpec(name, summary, VARConfig, inputs, weights, forward, **options)


MODULES: dict[str, ModuleSpec] = {
    spec.name: spec
    for spec in (
        _spec("conv", "3x3 convolution, padding 1, c -> c_out (Def. 3.6)", _image,
              lambda cfg: _conv("", cfg.c, cfg.d_out),
              lambda B, x, w, cfg: conv3x3(B, x["X"], w["K"], w["b"]), False, parameters=("c_out",)),
        _spec("var-transformer", f"VAR transformer over K scales (Def. 3.5; default K = {DEFAULT_SCALES})",
              _x_init, _transformer_weights, _run_transformer, True),
        _spec("var-reconstruct", "feature map sum_k conv_k(up(r_k -> n)) (stage 2)", _maps, _reconstruct_weights,
              lambda B, x, w, cfg: M.reconstruct(B, [x[f"r{k}"] for k in range(1, cfg.K + 1)], w), True),
        _spec("vqvae-decoder", "conv_out(Up(Res(AttnBlock(Res(conv_in F))))) (stage 3)", _image, _decoder_weights,
              _run_decoder, False),
        _spec("var", "VAR: transformer, reconstruction, VQ-VAE decoder (Theorem 5.7's model)", _x_init,
              _var_weights, _run_var, True),
        _spec("fast-var-transformer", "VAR transformer with AAttC in place of Attn", _x_init,
              _transformer_weights,
              lambda B, x, w, cfg: _run_transformer(B, x, w, cfg, planned_attention(cfg.poly)), True,
              fast_of="var-transformer"),
        _spec("fast-vqvae-decoder", "VQ-VAE decoder with AAttC in place of Attn", _image, _decoder_weights,
              lambda B, x, w, cfg: _run_decoder(B, x, w, cfg, planned_attention(cfg.poly)), False,
              fast_of="vqvae-decoder"),
        _spec("fast-var", "VAR with every Attn replaced by AAttC (Theorem 5.7)", _x_init, _var_weights,
              lambda B, x, w, cfg: _run_var(B, x, w, cfg, planned_attention(cfg.poly)), True, fast_of="var"),
    )
}
