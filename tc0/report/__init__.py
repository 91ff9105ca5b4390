"""``tc0 report`` and ``tc0 gadgets``: sweeps of depth and size with their
TC0 checks (``sweeps``), the measured gadget depths (``gadget_depths``), the
integer-gadget sweeps (``integers``), a model family against its paper's
lemmas (``model_report``, ``lemma_rows``, ``model_markdown``) and the
self-contained HTML page (``html``)."""
