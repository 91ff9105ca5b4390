"""The FlowAR family (Cao et al., arXiv 2502.16490; DESIGN section 4): its
configuration (``config``), model (``model``), compilable modules
(``modules``) and the paper's depth lemmas (``lemmas``)."""

from tc0.models.flowar.lemmas import LEMMAS
from tc0.models.flowar.modules import MODULES
from tc0.models.module import Family

FAMILY = Family(
    name="flowar",
    title="FlowAR modules against the TC0 lemmas",
    modules=MODULES,
    lemmas=LEMMAS,
    # size exponent in n implied by the paper's running time (n^2 tokens; attention-like pairs n^4;
    # down-sampling as a dense (n/a)^2 x n^2 matrix product)
    paper_exponents={
        "matmul": 2, "upsample": 2, "downsample": 4, "mlp": 2, "ffn": 2, "attention": 4, "layernorm": 2,
        "flow-matching": 4, "transformer": 4, "flowar": 4,
    },
)
