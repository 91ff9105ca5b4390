"""Truth tables of at most three inputs, and the compiled operation that
applies one to whole rows of words.

A table of arity k has 2^k bits: bit i is the output when leaf j takes the
value of bit j of i. ``LEAVES`` are the leaves' own tables over three
leaves; a function of fewer leaves is the same 8-bit table taken on its low
2^k bits (``table & ARITY_MASK[k]``).

``apply_table`` (arity 1, 2 or 3 fixed per call site) is a numba intrinsic:
one LLVM ``switch`` on the table, then a loop over the rows' words, eight
64-bit words per vector operation (512 samples; the target's widest SIMD,
or two or four narrower operations) and a scalar loop for the rest. Writing
the loop in LLVM IR, rather than as a numba loop over array views, leaves
no bounds, alias or stride checks between instructions: the fixed cost of
an instruction is the decoding, a jump and the loop's entry.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from tc0.simulator.graph import AND, NOT, OR, XOR0, XOR1

_inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")

#: the tables of leaves 0, 1 and 2 over three leaves
LEAVES = (0xAA, 0xCC, 0xF0)
#: the bits of a table of arity k
ARITY_MASK = (0x1, 0x3, 0xF, 0xFF)
#: the widest operation ``apply_table`` issues: 8 words of 64 samples
VECTOR_WORDS = 8
#: the operation codes of the tables of arity 1, 2, 3 start at ``OP_BASE[k]``; ``TABLE_OPS`` codes in all
OP_BASE = (0, 0, 4, 20)
TABLE_OPS = 276


@_inlined
def gate_table(code, tables, n):
    """The table of a gate with operation code ``code`` (of the evaluation
    graph: AND, OR, XOR, NOT, MAJ) over its ``n`` operands' ``tables``."""
    out = 0
    for i in range(8):
        ones = 0
        for j in range(n):
            ones += (tables[j] >> i) & 1
        if code == AND:
            bit = ones == n
        elif code == OR:
            bit = ones > 0
        elif code == XOR0 or code == XOR1:
            bit = ones == 1
        elif code == NOT:
            bit = ones == 0
        else:  # MAJ
            bit = 2 * ones > n
        out |= bit << i
    return out


def _formula(builder: ir.IRBuilder, table: int, k: int, leaves: list, zero, ones):
    """IR for the function ``table`` of arity ``k`` over the IR values ``leaves``
    (Shannon expansion on the last leaf, the common cases in one operation)."""
    full = ARITY_MASK[k]
    if table == 0:
        return zero
    if table == full:
        return ones
    half = 1 << (k - 1)
    lo, hi = table & ARITY_MASK[k - 1], table >> half
    x = leaves[k - 1]
    if lo == hi:
        return _formula(builder, lo, k - 1, leaves, zero, ones)
    f0 = _formula(builder, lo, k - 1, leaves, zero, ones)
    if hi == lo ^ ARITY_MASK[k - 1]:
        return builder.xor(f0, x)
    f1 = _formula(builder, hi, k - 1, leaves, zero, ones)
    if lo == 0:
        return builder.and_(x, f1)
    if hi == 0:
        return builder.and_(builder.not_(x), f0)
    if hi == ARITY_MASK[k - 1]:
        return builder.or_(x, f0)
    if lo == ARITY_MASK[k - 1]:
        return builder.or_(builder.not_(x), f1)
    return builder.xor(f0, builder.and_(x, builder.xor(f0, f1)))


def _emit_loop(builder: ir.IRBuilder, data, start, count, step, table: int, k: int, out, operands, ty):
    """``count`` operations on ``step`` words each of type ``ty`` from word ``start`` on."""
    zero = ir.Constant(ty, None)
    ones = ir.Constant(ty, [-1] * step) if step > 1 else ir.Constant(ty, -1)
    with cgutils.for_range(builder, count) as loop:
        at = builder.add(start, builder.mul(loop.index, ir.Constant(start.type, step)))

        def pointer(row_offset):
            p = builder.gep(data, [builder.add(row_offset, at)])
            return builder.bitcast(p, ty.as_pointer()) if step > 1 else p

        leaves = [builder.load(pointer(r), align=8) for r in operands[:k]]
        builder.store(_formula(builder, table, k, leaves, zero, ones), pointer(out), align=8)


def table_op(k: int, table: int) -> int:
    """The operation code of ``table`` (arity ``k``) for ``apply_table``."""
    return OP_BASE[k] + table


def _table_intrinsic(k: int):
    @intrinsic
    def apply(typingctx, buf, table, out, a, b, c, m):
        sig = types.void(buf, table, out, a, b, c, m)

        def codegen(context, builder, signature, args):
            arr = cgutils.create_struct_proxy(signature.args[0])(context, builder, value=args[0])
            words = cgutils.unpack_tuple(builder, arr.shape, 2)[1]
            intp = context.get_value_type(types.intp)
            table_value, *rows, m_value = (context.cast(builder, v, t, types.intp)
                                           for v, t in zip(args[1:], signature.args[1:]))
            offsets = [builder.mul(r, words) for r in rows[: k + 1]]  # out, a, b, c
            n_vectors = builder.udiv(m_value, ir.Constant(intp, VECTOR_WORDS))
            vector_end = builder.mul(n_vectors, ir.Constant(intp, VECTOR_WORDS))
            rest = builder.sub(m_value, vector_end)
            vector = ir.VectorType(ir.IntType(64), VECTOR_WORDS)
            done = builder.append_basic_block("table.done")
            switch = builder.switch(table_value, done)
            for table in range(ARITY_MASK[k] + 1):
                case = builder.append_basic_block(f"table.{table}")
                switch.add_case(ir.Constant(intp, OP_BASE[k] + table), case)
                builder.position_at_end(case)
                _emit_loop(builder, arr.data, ir.Constant(intp, 0), n_vectors, VECTOR_WORDS, table, k,
                           offsets[0], offsets[1:], vector)
                _emit_loop(builder, arr.data, vector_end, rest, 1, table, k, offsets[0], offsets[1:],
                           ir.IntType(64))
                builder.branch(done)
            builder.position_at_end(done)
            return context.get_dummy_value()

        return sig, codegen

    return apply


#: ``apply_tableK(buf, op, out, a, b, c, m)``: row ``out`` of the 2-D uint64 ``buf`` gets the
#: table of ``op`` (``table_op(K, table)``) of rows (a), (a, b) or (a, b, c) on its first ``m``
#: words; rows beyond the arity are not read
apply_table1, apply_table2, apply_table3 = (_table_intrinsic(k) for k in (1, 2, 3))
