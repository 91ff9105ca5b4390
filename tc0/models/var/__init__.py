"""The VAR family (Ke et al., seed 004, "On Computational Limits and
Provably Efficient Criteria of Visual Autoregressive Models"; DESIGN
section 8): its configuration (``config``), model (``model``), compilable
modules (``modules``) and tc0's derived depth bounds (``lemmas``). The
bicubic ``upsample`` module is FlowAR's, shared."""

from tc0.models.flowar.modules import MODULES as FLOWAR_MODULES
from tc0.models.module import Family
from tc0.models.var.lemmas import LEMMAS
from tc0.models.var.modules import MODULES

FAMILY = Family(
    name="var",
    title="VAR modules against tc0's derived depth bounds",
    modules={"conv": MODULES["conv"], "upsample": FLOWAR_MODULES["upsample"],
             **{name: spec for name, spec in MODULES.items() if name != "conv"}},
    lemmas=LEMMAS,
    # size exponent in n implied by seed 004's running times: attention over the ~n^2 tokens is n^4
    # (Lemma D.1 transformer, D.5 decoder), up-interpolation and convolution n^2 (D.4 reconstruction)
    paper_exponents={"conv": 2, "upsample": 2, "var-transformer": 4, "var-reconstruct": 2, "vqvae-decoder": 4,
                     "var": 4},
    # K = 2 so that n = 2 is a shape (K = 3 needs n >= 4); the streaming budget admits var at n = 8
    # (0.66 G estimated gates), so every module has three points
    report_defaults={"n_values": (2, 4, 8), "scales": 2, "max_stream_gates": 700_000_000},
)
