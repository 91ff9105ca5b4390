"""Gadgets: constant-depth circuits over wire tensors, emitted through a
``Builder`` for all elements at once. ``integer`` (add, compare, multiply,
iterated sums, ...), ``crt`` (iterated products by Chinese remaindering),
``floats`` (the p-bit float operations of DESIGN section 3)."""
