"""The bit-packed simulator against an independent per-gate, per-sample
Python evaluator, on random circuits (Builder-made and raw, non-canonical
ones), odd batch sizes, forced word chunking, and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from int_simulation import random_inputs

import tc0
from tc0 import Builder, Circuit, Kind, simulate, simulate_packed
from tc0.errors import SimulationInputError
from tc0.simulator import pack_bits, schedule_for, unpack_bits
from tc0.simulator import schedule as schedule_module
from tc0.simulator.graph import XOR0, XOR1, evaluation_ops
from tc0.simulator.order import NODE_ORDER, positions, post_order
from tc0.simulator.rows import assign_rows


def reference(circuit: Circuit, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate one sample at a time, one gate at a time, on Python bools."""
    kinds, offsets, fanins = circuit.kind.tolist(), circuit.offsets.tolist(), circuit.fanins.tolist()
    bits = np.concatenate([np.asarray(inputs[p]).reshape(-1, w) for p, w in circuit.inputs.items()], axis=1)
    out = {p: np.zeros((len(bits), len(ids)), dtype=np.uint8) for p, ids in circuit.outputs.items()}
    for s, row in enumerate(bits.tolist()):
        value = [False, True] + [bool(b) for b in row]
        for v in range(circuit.first_gate, circuit.n_nodes):
            args = [value[u] for u in fanins[offsets[v] : offsets[v + 1]]]
            if kinds[v] == Kind.AND:
                value.append(all(args))
            elif kinds[v] == Kind.OR:
                value.append(any(args))
            elif kinds[v] == Kind.NOT:
                value.append(not args[0])
            else:
                value.append(2 * sum(args) > len(args))
        for p, ids in circuit.outputs.items():
            out[p][s] = [value[int(v)] for v in ids]
    return out


def builder_circuit(seed: int, n_rounds: int = 30) -> Circuit:
    """Random Builder circuit: bulk AND/OR/NOT/MAJ/threshold rows with
    repeated and constant fan-ins, mostly on recent wires (depth), sometimes
    on old ones (long-lived values)."""
    rng = np.random.default_rng(seed)
    b = Builder()
    wires = np.concatenate([b.input(f"p{i}", int(rng.integers(1, 9))) for i in range(int(rng.integers(1, 4)))])
    for _ in range(n_rounds):
        rows, f = int(rng.integers(1, 12)), int(rng.integers(1, 10))
        pool = wires[-40:] if rng.random() < 0.8 else wires
        fan = rng.choice(pool, size=(rows, f))
        fan[rng.random((rows, f)) < 0.1] = rng.integers(0, 2)
        op = int(rng.integers(5))
        if op == 0:
            new = b.gate(Kind.AND, fan)
        elif op == 1:
            new = b.gate(Kind.OR, fan)
        elif op == 2:
            new = b.not_(fan[:, 0])
        elif op == 3:
            new = b.gate(Kind.MAJ, fan)
        else:
            new = b.threshold(fan, rng.integers(0, f + 2, size=rows))
        wires = np.concatenate([wires, new])
    outs = rng.choice(wires, size=int(rng.integers(1, 20)))
    b.output("y", outs)
    b.output("z", np.array([wires[-1], 0, 1, wires[2]]))
    b.output("w", wires[-60:])  # the recent wires: most gates stay live
    return b.build()


def raw_circuit(seed: int, n_gates: int = 120, max_fanin: int = 9) -> Circuit:
    """Random circuit straight from arrays, without the Builder's canonical
    forms: constants and repeats anywhere, even MAJ, fan-in-1 AND/OR/MAJ,
    NOT of NOT and of constants."""
    rng = np.random.default_rng(seed)
    widths = {"a": int(rng.integers(1, 6)), "b": int(rng.integers(1, 6))}
    first = 2 + sum(widths.values())
    n = first + n_gates
    kind = np.concatenate([[Kind.CONST0, Kind.CONST1], np.full(first - 2, Kind.INPUT), rng.integers(3, 7, n_gates)])
    counts = np.zeros(n, dtype=np.int64)
    counts[first:] = np.where(kind[first:] == Kind.NOT, 1, rng.integers(1, max_fanin + 1, n_gates))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    owner = np.repeat(np.arange(n), counts)
    back = np.minimum(owner, rng.geometric(0.15, len(owner)))
    fanins = np.where(rng.random(len(owner)) < 0.1, rng.integers(0, 2, len(owner)), owner - back)
    outputs = {"y": rng.integers(0, n, int(rng.integers(1, 16))), "z": np.array([n - 1])}
    return Circuit(
        kind=kind.astype(np.uint8),
        offsets=offsets.astype(np.int64),
        fanins=fanins.astype(np.int32),
        scope=np.zeros(n, dtype=np.int32),
        scopes=("",),
        inputs=widths,
        outputs=outputs,
    )



def assert_same(got, want):
    assert got.keys() == want.keys()
    for p in want:
        assert got[p].dtype == np.uint8 and got[p].shape == want[p].shape, p
        np.testing.assert_array_equal(got[p], want[p], err_msg=p)


@pytest.mark.parametrize("batch", [1, 63, 64, 65, 200])
@pytest.mark.parametrize("seed", range(4))
def test_builder_circuits_match_reference(seed, batch):
    circuit = builder_circuit(seed)
    inputs = random_inputs(circuit, batch, seed)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


@pytest.mark.parametrize("batch", [1, 63, 64, 65, 200])
@pytest.mark.parametrize("seed", range(4))
def test_raw_circuits_match_reference(seed, batch, tmp_path):
    circuit = raw_circuit(seed)
    circuit.save(tmp_path / "c.tc0")
    tc0.load(tmp_path / "c.tc0")  # the raw circuit is valid by the file format's checks
    inputs = random_inputs(circuit, batch, seed)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


@pytest.mark.parametrize("seed", range(3))
def test_wide_majority_and_thresholds(seed):
    """Fan-ins up to 200 with constants and repeats: every threshold k of one
    fan-in row (a ladder sharing one count), and rows with their own fan-ins
    and their own k in one group."""
    rng = np.random.default_rng(seed)
    b = Builder()
    x = b.input("x", 24)
    pool = np.concatenate([x, [0, 1]])
    rows = []
    for f in (1, 2, 3, 5, 16, 33, 64, 127, 200):
        ladder = np.broadcast_to(rng.choice(pool, size=f), (f + 2, f))
        rows.append(b.threshold(ladder, np.arange(f + 2)))  # 0 .. f+1: constants, OR, AND, thresholds
        mixed = rng.choice(pool, size=(6, f))
        rows.append(b.threshold(mixed, rng.integers(0, f + 2, size=6)))
        rows.append(b.gate(Kind.MAJ, mixed))
    b.output("y", np.concatenate(rows))
    circuit = b.build()
    assert circuit.fanin_counts().max() >= 200
    inputs = random_inputs(circuit, 70, seed)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


def test_raw_wide_gates():
    circuit = raw_circuit(11, n_gates=60, max_fanin=150)
    inputs = random_inputs(circuit, 70)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


def test_deep_circuit_with_long_lived_values():
    """A chain 600 gates deep whose end reads the inputs and early gates."""
    b = Builder()
    x = b.input("x", 8)
    early = b.xor(x[:4], x[4:])
    v = x[0]
    chain = []
    for i in range(300):
        v = b.xor(v, x[(i % 7) + 1]) if i % 2 else b.or_(v, b.and_(x[i % 8], x[(i + 3) % 8]))
        chain.append(v)
    b.output("y", np.concatenate([b.and_(v, early), b.or_(x[::-1], chain[-1]), chain[::37]]))
    circuit = b.build()
    assert circuit.depth > 500
    schedule = schedule_for(circuit)
    assert schedule.n_rows < circuit.size  # rows are reused
    inputs = random_inputs(circuit, 150)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


def test_staggered_long_lived_values():
    """A delay line: each round makes a value that is read 20 rounds later,
    so rows are freed and reused round after round while others stay live."""
    b = Builder()
    x = b.input("x", 8)
    v, made = x[0], []
    for i in range(150):
        made.append(b.xor(v, x[i % 8]))
        late = made[i - 20] if i >= 20 else x[(i + 1) % 8]
        v = b.or_(b.and_(v, late), b.and_(made[-1], x[(i + 3) % 8]))
    b.output("y", np.array([v, made[-1], made[-25]]))
    circuit = b.build()
    inputs = random_inputs(circuit, 100)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


def test_xor_patterns_with_shared_parts():
    """XOR is evaluated as one operation, also when its inner AND, OR or NOT
    are used elsewhere (a half adder's carry is the XOR's inner AND)."""
    b = Builder()
    x, y = b.input("x", 16), b.input("y", 16)
    total = b.xor(x, y)
    carry = b.and_(x, y)  # the same gates as inside the XOR, by structural hashing
    inner_or, inner_not = b.or_(x[:4], y[:4]), b.not_(carry[4:8])
    b.output("s", b.xor(total, b.xor(x[::-1], y)))
    b.output("c", np.concatenate([carry, inner_or, inner_not]))
    circuit = b.build()
    assert np.isin(evaluation_ops(circuit), [XOR0, XOR1]).sum() >= 32
    inputs = random_inputs(circuit, 100)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


def test_wide_levels_against_level_oracle():
    """40,000 gates in 4 levels of 10,000 (groups split into many pieces and
    steps), checked by an independent evaluator vectorized over each level."""
    rng = np.random.default_rng(5)
    n_in, width, levels = 300, 10_000, 4
    first = 2 + n_in
    n = first + width * levels
    kind = np.concatenate([[Kind.CONST0, Kind.CONST1], np.full(n_in, Kind.INPUT),
                           rng.choice([Kind.AND, Kind.OR, Kind.NOT, Kind.MAJ], size=n - first)])
    counts = np.zeros(n, dtype=np.int64)
    counts[first:] = np.select([kind[first:] == Kind.NOT, kind[first:] == Kind.MAJ], [1, 3], 2)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    owner = np.repeat(np.arange(n), counts)
    level = (owner - first) // width
    lo = np.where(level == 0, 2, first + (level - 1) * width)
    hi = np.where(level == 0, first, first + level * width)
    fanins = lo + (rng.random(len(owner)) * (hi - lo)).astype(np.int64)
    outputs = {"y": np.arange(n - width, n)}
    circuit = Circuit(kind.astype(np.uint8), offsets, fanins.astype(np.int32), np.zeros(n, dtype=np.int32), ("",),
                      {"x": n_in}, outputs)
    words = 2
    packed = {"x": rng.integers(0, 1 << 63, size=(n_in, words), dtype=np.uint64)}
    values = np.zeros((n, words), dtype=np.uint64)
    values[1] = ~np.uint64(0)
    values[2:first] = packed["x"]
    for gates in np.split(np.arange(first, n), levels):
        a, b, c = (values[fanins[np.minimum(offsets[gates] + j, len(fanins) - 1)]] for j in range(3))
        k = kind[gates][:, None]
        values[gates] = np.select([k == Kind.AND, k == Kind.OR, k == Kind.NOT], [a & b, a | b, ~a],
                                  (a & b) | (a & c) | (b & c))
    np.testing.assert_array_equal(simulate_packed(circuit, packed)["y"], values[n - width :])


@pytest.mark.parametrize("max_bytes", [1, 3000, 100_000])
def test_chunked_runs_agree(max_bytes):
    circuit = builder_circuit(4, n_rounds=40)
    assert circuit.size >= 50
    inputs = random_inputs(circuit, 1000, 3)
    assert_same(simulate(circuit, inputs, max_bytes=max_bytes), reference(circuit, inputs))


@pytest.mark.parametrize("threads", [2, 3, 5])
def test_threads_share_the_blocks(monkeypatch, threads):
    """Blocks of one word (1000 samples: 16 blocks, the last one partly in
    use) shared among threads in uneven contiguous shares."""
    monkeypatch.setattr(schedule_module, "_CACHE_BYTES", 1)
    monkeypatch.setattr(schedule_module, "_MIN_WORDS", 1)
    circuit = builder_circuit(4, n_rounds=40)
    assert circuit.size >= 50 and schedule_for(circuit).words_per_pass(16) == 1
    inputs = random_inputs(circuit, 1000, 3)
    assert_same(simulate(circuit, inputs, threads=threads), reference(circuit, inputs))


@pytest.mark.parametrize("threads", [0, -1, 1.5])
def test_bad_thread_counts_raise(threads):
    circuit = two_port_circuit()
    with pytest.raises(SimulationInputError, match="threads must be a positive integer"):
        simulate(circuit, GOOD, threads=threads)


def test_packed_interface_and_pack_roundtrip():
    circuit = builder_circuit(2)
    inputs = random_inputs(circuit, 130, 1)
    packed = {p: pack_bits(v) for p, v in inputs.items()}
    assert all(v.dtype == np.uint64 and v.shape[1] == 3 for v in packed.values())
    out = simulate_packed(circuit, packed)
    want = reference(circuit, inputs)
    for p in want:
        np.testing.assert_array_equal(unpack_bits(out[p], 130), want[p])
    bits = np.random.default_rng(0).integers(0, 2, size=(77, 5), dtype=np.uint8)
    np.testing.assert_array_equal(unpack_bits(pack_bits(bits), 77), bits)


def test_bool_inputs_and_schedule_cache():
    circuit = builder_circuit(1)
    inputs = random_inputs(circuit, 10)
    as_bool = {p: v.astype(bool) for p, v in inputs.items()}
    assert_same(simulate(circuit, as_bool), simulate(circuit, inputs))
    assert schedule_for(circuit) is schedule_for(circuit)


def test_circuit_without_gates():
    b = Builder()
    x = b.input("x", 3)
    b.output("y", np.array([x[2], 1, 0, x[0]]))
    circuit = b.build()
    inputs = random_inputs(circuit, 67)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


# ---------------------------------------------------------------- bad inputs
def two_port_circuit() -> Circuit:
    b = Builder()
    x, y = b.input("x", 3), b.input("y", 2)
    b.output("o", b.and_(x[:2], y))
    return b.build()


GOOD = {"x": np.zeros((4, 3), dtype=np.uint8), "y": np.ones((4, 2), dtype=np.uint8)}


@pytest.mark.parametrize(
    "inputs, message",
    [
        ({"x": GOOD["x"]}, "missing input port"),
        ({**GOOD, "w": GOOD["y"]}, "unknown input port"),
        ({**GOOD, "y": np.ones((4, 3), dtype=np.uint8)}, r"expected shape \(batch, 2\)"),
        ({**GOOD, "y": np.ones(4, dtype=np.uint8)}, r"expected shape \(batch, 2\)"),
        ({**GOOD, "y": np.ones((5, 2), dtype=np.uint8)}, "batch 5 differs from 4"),
        ({**GOOD, "y": np.full((4, 2), 2)}, "must be 0 or 1"),
        ({**GOOD, "y": np.full((4, 2), -1)}, "must be 0 or 1"),
        ({**GOOD, "y": np.full((4, 2), 0.5)}, "must be bool or integer 0/1, got dtype float64"),
        ({**GOOD, "y": np.full((4, 2), "1")}, "must be bool or integer 0/1"),
    ],
)
def test_bad_inputs_raise(inputs, message):
    circuit = two_port_circuit()
    assert simulate(circuit, GOOD)["o"].shape == (4, 2)
    with pytest.raises(SimulationInputError, match=message):
        simulate(circuit, inputs)


@pytest.mark.parametrize(
    "packed, message",
    [
        ({"x": np.zeros((3, 1), dtype=np.uint64)}, "missing input port"),
        (
            {"x": np.zeros((3, 1), dtype=np.uint64), "y": np.zeros((2, 1), np.uint64), "w": np.zeros((1, 1), np.uint64)},
            "unknown input port",
        ),
        ({"x": np.zeros((3, 1), dtype=np.uint64), "y": np.zeros((2, 1), dtype=np.int64)}, "expected uint64"),
        ({"x": np.zeros((3, 1), dtype=np.uint64), "y": np.zeros((3, 1), dtype=np.uint64)}, "expected uint64"),
        ({"x": np.zeros((3, 1), dtype=np.uint64), "y": np.zeros((2, 2), dtype=np.uint64)}, "2 words, others have 1"),
    ],
)
def test_bad_packed_inputs_raise(packed, message):
    with pytest.raises(SimulationInputError, match=message):
        simulate_packed(two_port_circuit(), packed)


def test_a_simulated_circuit_is_freed_with_its_schedule():
    """The schedule cache holds a circuit's schedule only while the circuit lives (a streamed
    check simulates thousands of pieces in one process)."""
    import gc
    import weakref

    b = Builder()
    x = b.input("x", 4)
    b.output("y", b.and_(x[:2], x[2:]))
    circuit = b.build()
    out = simulate(circuit, {"x": np.array([[1, 1, 1, 0]], dtype=np.uint8)})["y"]
    assert out.tolist() == [[1, 0]]
    alive = weakref.ref(circuit)
    del circuit
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize("f", [4_097, 100_001])
def test_very_wide_majority(f):
    """Counts of many levels of the carry-save tree: two MAJ gates of f
    fan-ins over 24 inputs with repeats and constants, and thresholds of one
    of them at k near f/2 and at the extremes."""
    rng = np.random.default_rng(f)
    b = Builder()
    x = b.input("x", 24)
    fan = rng.choice(np.concatenate([x, [0, 1]]), size=(2, f))
    k = np.array([1, f // 2 - 50, f // 2, f // 2 + 50, f])
    b.output("y", np.concatenate([b.gate(Kind.MAJ, fan), b.threshold(np.broadcast_to(fan[0], (5, f)), k)]))
    circuit = b.build()
    assert circuit.fanin_counts().max() >= 0.9 * f  # the builder folds the constant fan-ins
    inputs = random_inputs(circuit, 70, f)
    assert_same(simulate(circuit, inputs), reference(circuit, inputs))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_gates=st.integers(1, 300), max_fanin=st.integers(1, 12),
       in_post_order=st.booleans())
def test_rows_never_overwrite_a_live_value(seed, n_gates, max_fanin, in_post_order):
    """Stages 2 and 3 against a replay of who holds each row: the order
    evaluates every gate some output needs once, after its operands; when a
    gate reads an operand, the operand's row still holds it; an output's row
    holds it at the end; a gate never writes a row it reads."""
    circuit = raw_circuit(seed, n_gates, max_fanin)
    first, outputs = circuit.first_gate, circuit.output_ids().astype(np.int64)
    op = evaluation_ops(circuit)
    order = post_order(op, circuit.offsets, circuit.fanins, first, outputs) if in_post_order else NODE_ORDER
    row, n_rows = assign_rows(op, circuit.offsets, circuit.fanins, first, outputs, order,
                              positions(order, first, circuit.n_nodes))
    evaluated = order if in_post_order else np.flatnonzero(op)
    assert sorted(evaluated.tolist()) == np.flatnonzero(op).tolist()
    holder = {r: r for r in range(first)}
    for v in evaluated:
        start, end = circuit.offsets[v], circuit.offsets[v + 1]
        if op[v] in (XOR0, XOR1):  # reads the two fan-ins of its OR
            o = circuit.fanins[start + op[v] - XOR0]
            start, end = circuit.offsets[o], circuit.offsets[o] + 2
        operands = circuit.fanins[start:end]
        assert all(u < first or u in holder.values() for u in operands)  # evaluated before
        assert all(holder[row[u]] == u for u in operands), v
        assert row[v] not in {row[u] for u in operands}
        assert 0 <= row[v] < n_rows
        holder[row[v]] = v
    assert all(holder[row[o]] == o for o in circuit.output_ids())


@pytest.mark.parametrize("kept", [True, False])
def test_programs_in_many_chunks(monkeypatch, kept):
    """Chunks of 5 nodes: instruction streams kept by the schedule, or
    encoded chunk by chunk in every run (as for circuits too big to keep them)."""
    monkeypatch.setattr(schedule_module, "CHUNK_NODES", 5)
    monkeypatch.setattr(schedule_module, "_KEPT_PROGRAM_BYTES", 1 << 20 if kept else 0)
    for seed in range(3):
        circuit = builder_circuit(seed)
        assert (schedule_module.Schedule(circuit).programs is not None) == kept
        inputs = random_inputs(circuit, 130, seed)
        assert_same(simulate(circuit, inputs), reference(circuit, inputs))


def test_deep_chain_against_python_loop():
    """200,000 levels, each gate reading the one before: the fixed cost per
    gate, not per level, sets the time; values from a plain Python loop."""
    levels = 200_000
    first = 4
    n = first + levels
    step = np.arange(levels) % 3  # AND x0, NOT, OR x1
    kind = np.concatenate([[Kind.CONST0, Kind.CONST1, Kind.INPUT, Kind.INPUT],
                           np.choose(step, [Kind.AND, Kind.NOT, Kind.OR])]).astype(np.uint8)
    counts = np.concatenate([np.zeros(first, dtype=np.int64), np.where(step == 1, 1, 2)])
    offsets = np.concatenate([[0], np.cumsum(counts)])
    ids = np.arange(first, n)
    fanins = np.empty(offsets[-1], dtype=np.int32)
    fanins[offsets[ids]] = ids - 1
    fanins[offsets[ids[step != 1]] + 1] = np.where(step[step != 1] == 0, 2, 3)
    circuit = Circuit(kind, offsets, fanins, np.zeros(n, dtype=np.int32), ("",), {"x": 2}, {"y": ids[-7:]})
    assert circuit.depth == levels
    inputs = {"x": np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)}
    want = []
    for x0, x1 in inputs["x"].tolist():
        value, trace = x1, []
        for i in range(levels):
            value = (value & x0) if i % 3 == 0 else (1 - value) if i % 3 == 1 else (value | x1)
            trace.append(value)
        want.append(trace[-7:])
    np.testing.assert_array_equal(simulate(circuit, inputs)["y"], np.array(want, dtype=np.uint8))
