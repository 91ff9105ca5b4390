"""Layers every model family shares, each written once against the
``Backend`` interface: ``linear`` (x W + b, MLP, FFN), ``attention``,
``layernorm``, ``resampling`` (bicubic up, area down), and the fast
low-rank attention (``fast_attention``) with its polynomial plan
(``aattc_plan``)."""
