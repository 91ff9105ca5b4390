"""Checks of circuits against independent oracles: the word codec and the
MPFR oracle written apart from ``tc0.numerics`` (``words``,
``mpfr_oracle``), the inputs of a float check (``float_cases``), the gadget
checks (``float_gadget_check``, ``int_gadget_check``, ``gadget_summary``) and
the module check (``module_check``)."""
