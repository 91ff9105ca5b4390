"""The streamed backend (DESIGN section 9): every operation is cut into
pieces of at most ``piece_gates`` estimated gates, each piece built,
measured and (with samples) simulated and checked on its own
(``tc0.models.backends.pieces``), then dropped. A tensor here holds, per scalar, only
where its value lives: the origin (an input, a constant block or a piece)
and its position there; the pieces run on a ``tc0.cluster.Runner``, so
pieces that do not depend on each other can run on different workers.

Scalars carry an identity: elements of one operation with the same operand
scalars are computed once, and a piece reads each distinct scalar through
one set of input wires, as the structural hashing of one whole build would
share them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tc0.cluster import Runner
from tc0.errors import GateBudgetError
from tc0.models.backend import Backend
from tc0.models.backends.pieces import VARIABLE, Piece, Wires, run_piece
from tc0.models.prices import gadget_cost
from tc0.numerics import FloatFormat

#: one scalar of a streamed tensor: its identity, its origin and its position there
SCALAR = np.dtype([("id", np.int64), ("origin", np.int32), ("pos", np.int64)])
#: default largest piece, in estimated gates (a few hundred MB of builder memory)
DEFAULT_PIECE_GATES = 1_000_000
#: an operation estimated above this many gates is cut into an even number of equal pieces, so
#: workers share it evenly (the cut depends only on the operation, never on the number of workers)
SPLIT_GATES = 100_000


@dataclass(frozen=True)
class PieceInfo:
    """What the backend knows of a piece it submitted: its operation, scope,
    element count and estimated gates, and the origin index of its result."""

    op: str
    m: int
    scope: str
    elements: int
    expected_gates: int
    origin: int


class StreamBackend(Backend):
    """Streams a module through ``runner`` piece by piece (see the module docstring).

    ``samples`` is the number of sample input sets (0: measure only, no
    simulation). ``origins`` are the runner's handles of every input block,
    constant block and piece, in creation order; ``pieces`` describe the pieces.
    """

    name = "stream"
    summary = "runs each operation as its own small circuits, measured and checked piece by piece"

    def __init__(self, fmt: FloatFormat, runner: Runner, samples: int = 0, piece_gates: int = DEFAULT_PIECE_GATES,
                 progress: Callable[[int], None] | None = None):
        """``progress(gates)`` is called as each piece finishes, with its estimated gates."""
        if piece_gates < 1:
            raise GateBudgetError(f"piece_gates must be >= 1, got {piece_gates}", parameters=("piece_gates",))
        self.fmt, self.runner, self.samples, self.piece_gates = fmt, runner, samples, piece_gates
        self.progress = progress
        self.origins: list = []
        self.pieces: list[PieceInfo] = []
        self._next_id = 0
        self._constant_ids: dict[int, int] = {}
        self._computed: dict[tuple[str, bytes], np.void] = {}

    # ------------------------------------------------------------- sources
    def _fresh_ids(self, count: int) -> np.ndarray:
        ids = np.arange(self._next_id, self._next_id + count, dtype=np.int64)
        self._next_id += count
        return ids

    def _origin(self, handle) -> int:
        self.origins.append(handle)
        return len(self.origins) - 1

    def _scalars(self, ids, origin: int, pos) -> np.ndarray:
        out = np.empty(np.shape(ids), dtype=SCALAR)
        out["id"], out["origin"], out["pos"] = ids, origin, pos
        return out

    def constant(self, values):
        """Constant scalars; equal words are one scalar (as equal constant wires are)."""
        words = self.fmt.encode(np.asarray(values, dtype=np.float64))
        distinct, where = np.unique(words.reshape(-1), return_inverse=True)
        for word in map(int, distinct):
            if word not in self._constant_ids:
                self._constant_ids[word] = self._fresh_ids(1)[0]
        ids = np.array([self._constant_ids[int(w)] for w in distinct], dtype=np.int64)
        const = self.fmt.to_bits(distinct).astype(np.int8)
        samples = None if not self.samples else np.broadcast_to(distinct, (self.samples, len(distinct))).copy()
        origin = self._origin(self.runner.scatter(Wires.sources(const, samples)))
        return self._scalars(ids[where].reshape(words.shape), origin, where.reshape(words.shape))

    def input(self, shape, words=None) -> np.ndarray:
        """Variable scalars of ``shape`` (an input port); ``words`` (samples, *shape)
        are their values on the samples (required when there are samples)."""
        shape = tuple(shape)
        count = int(np.prod(shape, dtype=np.int64))
        const = np.full((count, self.fmt.width), VARIABLE, dtype=np.int8)
        samples = None if not self.samples else np.asarray(words, dtype=self.fmt.word_dtype).reshape(self.samples, count)
        origin = self._origin(self.runner.scatter(Wires.sources(const, samples)))
        return self._scalars(self._fresh_ids(count).reshape(shape), origin, np.arange(count).reshape(shape))

    # ------------------------------------------------------------- operations
    def _run(self, op: str, m: int, operands: list[np.ndarray], shape) -> np.ndarray:
        """Submit ``op`` on ``operands`` (each (elements,) or, for sums, (elements, m)
        scalars) as pieces; the result has ``shape``."""
        per_element = gadget_cost(self.fmt, op, m)[0]
        if per_element > self.piece_gates:
            what = f"float:{op}" + (f" of {m} terms" if op == "sum" else "")
            raise GateBudgetError(f"piece_gates {self.piece_gates:,} is smaller than one {what} gadget "
                                  f"({per_element:,} gates); raise piece_gates", parameters=("piece_gates",))
        keys = np.concatenate([x["id"].reshape(len(x), -1) for x in operands], axis=1)
        _, first, element_row = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        out = np.empty(len(first), dtype=SCALAR)
        # an element computed before (same operation, same operand scalars) is that scalar,
        # as one build's structural hashing would merge the two
        memo = [(op, keys[i].tobytes()) for i in first]
        new = []
        for row, key in enumerate(memo):
            if key in self._computed:
                out[row] = self._computed[key]
            else:
                new.append(row)
        new = np.array(new, dtype=np.int64)
        out["id"][new] = self._fresh_ids(len(new))
        count = -(-len(new) // max(1, self.piece_gates // per_element))
        if len(new) * per_element > SPLIT_GATES:
            count += count % 2
        cuts = np.linspace(0, len(new), min(count, len(new)) + 1).round().astype(np.int64)
        scope = self.scope_path
        for rows in (new[a:b] for a, b in zip(cuts[:-1], cuts[1:])):
            out["origin"][rows] = self._submit(op, m, [x[first[rows]] for x in operands], scope, per_element)
            out["pos"][rows] = np.arange(len(rows))
        self._computed.update((memo[row], out[row]) for row in new)
        return out[element_row.reshape(-1)].reshape(shape)

    def _submit(self, op: str, m: int, operands: list[np.ndarray], scope: str, per_element: int) -> int:
        """Submit one piece: ``op`` on the elements of ``operands``; returns its origin index."""
        scalars = np.concatenate([x.reshape(-1) for x in operands])
        _, where, source_of = np.unique(scalars["id"], return_index=True, return_inverse=True)
        sources = scalars[where]
        used, source_origin = np.unique(sources["origin"], return_inverse=True)
        edges = np.cumsum([0] + [x.size for x in operands])
        gathers = tuple(source_of[a:b].reshape(x.shape) for a, b, x in zip(edges, edges[1:], operands))
        piece = Piece(op=op, fmt=self.fmt, scope=scope, source_origin=source_origin.astype(np.int32),
                      source_pos=sources["pos"], gathers=gathers, expected_gates=per_element * len(operands[0]))
        done = None if self.progress is None else functools.partial(self.progress, piece.expected_gates)
        origin = self._origin(self.runner.submit(run_piece, piece, *(self.origins[k] for k in used), on_done=done))
        self.pieces.append(PieceInfo(op, m, scope, len(operands[0]), piece.expected_gates, origin))
        return origin

    def _elementwise(self, op: str, *xs):
        xs = [np.asarray(x) for x in xs]
        shape = np.broadcast_shapes(*(x.shape for x in xs))
        return self._run(op, 0, [np.broadcast_to(x, shape).reshape(-1) for x in xs], shape)

    def add(self, x, y):
        return self._elementwise("add", x, y)

    def sub(self, x, y):
        return self._elementwise("sub", x, y)

    def mul(self, x, y):
        return self._elementwise("mul", x, y)

    def div(self, x, y):
        return self._elementwise("div", x, y)

    def exp(self, x):
        return self._elementwise("exp", x)

    def sqrt(self, x):
        return self._elementwise("sqrt", x)

    def relu(self, x):
        return self._elementwise("relu", x)

    def sum(self, x, axis: int):
        x = np.moveaxis(np.asarray(x), axis, -1)
        m = x.shape[-1]
        return self._run("sum", m, [x.reshape(-1, m)], x.shape[:-1])
