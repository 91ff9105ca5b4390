"""Models written once against a tensor-op interface and run on every
backend.

* the framework: ``backend`` (the interface), ``backends`` (float64, p-bit,
  circuit, cost, registered by name), ``config`` and ``module`` (what a family
  registers), ``lemma`` (a paper's depth formula), ``arrays`` (named weight
  and input arrays);
* the shared layers (``layers``: linear, attention, layer norm, resampling,
  the fast AAttC attention and its polynomial plan);
* the families (``flowar``), collected in ``registry``;
* running them: ``prepare`` (configuration and AAttC plan), ``run`` (on a
  value backend), ``estimate`` (gates before building), ``compile`` (the
  circuit, through the compiler's front door).
"""
