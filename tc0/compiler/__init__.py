"""From a description to a circuit: the bulk ``Builder`` and its compiled
kernels, the gadgets written against it (``gadgets``: integer, Chinese
remaindering, p-bit float), the named gadgets of ``tc0 compile``
(``catalog``), and the one front door every build goes through
(``front_door.compile_circuit``: sized storage, gate budget, prune, levels)."""
