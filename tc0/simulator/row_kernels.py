"""Operations on whole rows of a block's buffer, written in LLVM IR (numba
intrinsics, callable from compiled code only).

Each walks the rows' first ``m`` words eight at a time (one 512-bit vector
operation, or two or four narrower ones on a target without them) and the
remainder one word at a time. Written in IR rather than as numba loops over
array views, an operation carries no bounds, alias or stride checks: its
fixed cost is a few integer operations and the loop's entry, and values
that an operation combines (a fold's accumulator, a count's comparison)
stay in registers across its operands. Every row argument is a row index
into ``buf``, a C-contiguous 2-D uint64 array (rows x words).

* ``apply_table1 | 2 | 3(buf, op, out, a, b, c, m)``: ``out`` = the lookup
  table of ``op`` (``tables.table_op``: a canonical table) over rows (a),
  (a, b) or (a, b, c): an LLVM ``switch`` on the table, one loop per
  canonical table (a table that is not canonical leaves ``out`` as it was);
* ``fold_all | fold_any(buf, prog, start, end, out, m)``: ``out`` = AND / OR
  of the rows listed in ``prog[start:end]`` (at least one);
* ``add_rows2 | 3(buf, a, b, c, total, carry, m)``: a half (full) adder of
  rows (a, b) or (a, b, c) into rows ``total`` and ``carry``;
* ``at_least(buf, bits, n_bits, k, out, m)``: ``out`` = [the count whose
  bits are rows ``bits .. bits + n_bits - 1`` >= k], for k < 2^n_bits.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from tc0.simulator.tables import ARITY_MASK, CANONICAL, OP_BASE

#: the widest operation: 8 words of 64 samples
VECTOR_WORDS = 8
_WORD = ir.IntType(64)
_VECTOR = ir.VectorType(_WORD, VECTOR_WORDS)


class _Rows:
    """Addressing of a 2-D uint64 array's rows inside an intrinsic."""

    def __init__(self, context, builder, array_type, array):
        arr = cgutils.create_struct_proxy(array_type)(context, builder, value=array)
        self.builder, self.data = builder, arr.data
        self.words = cgutils.unpack_tuple(builder, arr.shape, 2)[1]
        self.intp = context.get_value_type(types.intp)

    def offset(self, row):
        """The first word of ``row`` (an intp)."""
        return self.builder.mul(row, self.words)

    def pointer(self, offset, at, ty):
        """A pointer to the ``ty`` (a word or a vector) at word ``at`` of the row at ``offset``."""
        p = self.builder.gep(self.data, [self.builder.add(offset, at)])
        return self.builder.bitcast(p, ty.as_pointer()) if ty is _VECTOR else p

    def load(self, offset, at, ty):
        return self.builder.load(self.pointer(offset, at, ty), align=8)

    def store(self, value, offset, at, ty):
        self.builder.store(value, self.pointer(offset, at, ty), align=8)

    def over_words(self, m, body):
        """Call ``body(at, ty)`` inside a loop over the first ``m`` words: vectors, then single words."""
        b, intp = self.builder, self.intp
        n_vectors = b.udiv(m, ir.Constant(intp, VECTOR_WORDS))
        vector_end = b.mul(n_vectors, ir.Constant(intp, VECTOR_WORDS))
        with cgutils.for_range(b, n_vectors) as loop:
            body(b.mul(loop.index, ir.Constant(intp, VECTOR_WORDS)), _VECTOR)
        with cgutils.for_range(b, b.sub(m, vector_end)) as loop:
            body(b.add(vector_end, loop.index), _WORD)


def _ones(ty):
    return ir.Constant(ty, [-1] * VECTOR_WORDS) if ty is _VECTOR else ir.Constant(ty, -1)


def _intp_args(context, builder, signature, args, first):
    """``args[first:]`` cast to intp."""
    return [context.cast(builder, v, t, types.intp) for v, t in zip(args[first:], signature.args[first:])]


def _formula(builder: ir.IRBuilder, table: int, k: int, leaves: list, ty):
    """IR for the function ``table`` of arity ``k`` over the IR values ``leaves``
    (Shannon expansion on the last leaf, the common cases in one operation)."""
    if table == 0:
        return ir.Constant(ty, None)
    if table == ARITY_MASK[k]:
        return _ones(ty)
    half, low = 1 << (k - 1), ARITY_MASK[k - 1]
    lo, hi = table & low, table >> half
    x = leaves[k - 1]
    f0 = _formula(builder, lo, k - 1, leaves, ty)
    if lo == hi:
        return f0
    if hi == lo ^ low:
        return builder.xor(f0, x)
    f1 = _formula(builder, hi, k - 1, leaves, ty)
    if lo == 0:
        return builder.and_(x, f1)
    if hi == 0:
        return builder.and_(builder.not_(x), f0)
    if hi == low:
        return builder.or_(x, f0)
    if lo == low:
        return builder.or_(builder.not_(x), f1)
    return builder.xor(f0, builder.and_(x, builder.xor(f0, f1)))


def _table_intrinsic(k: int):
    @intrinsic
    def apply(typingctx, buf, op, out, a, b, c, m):
        def codegen(context, builder, signature, args):
            rows = _Rows(context, builder, signature.args[0], args[0])
            op_value, *row_values, m_value = _intp_args(context, builder, signature, args, 1)
            out_offset, *offsets = (rows.offset(r) for r in row_values[: k + 1])
            done = builder.append_basic_block("table.done")
            switch = builder.switch(op_value, done)
            for table in sorted(set(CANONICAL[k, : ARITY_MASK[k] + 1].tolist())):
                case = builder.append_basic_block(f"table.{table}")
                switch.add_case(ir.Constant(rows.intp, OP_BASE[k] + table), case)
                builder.position_at_end(case)

                def body(at, ty, table=table):
                    leaves = [rows.load(o, at, ty) for o in offsets]
                    rows.store(_formula(builder, table, k, leaves, ty), out_offset, at, ty)

                rows.over_words(m_value, body)
                builder.branch(done)
            builder.position_at_end(done)
            return context.get_dummy_value()

        return types.void(buf, op, out, a, b, c, m), codegen

    return apply


def _fold_intrinsic(is_and: bool):
    @intrinsic
    def fold(typingctx, buf, prog, start, end, out, m):
        def codegen(context, builder, signature, args):
            rows = _Rows(context, builder, signature.args[0], args[0])
            listed = cgutils.create_struct_proxy(signature.args[1])(context, builder, value=args[1])
            start_value, end_value, out_value, m_value = _intp_args(context, builder, signature, args, 2)
            one = ir.Constant(rows.intp, 1)

            def listed_offset(j):
                return rows.offset(builder.sext(builder.load(builder.gep(listed.data, [j])), rows.intp))

            def body(at, ty):
                acc = cgutils.alloca_once(builder, ty)
                builder.store(rows.load(listed_offset(start_value), at, ty), acc)
                with cgutils.for_range(builder, builder.sub(end_value, builder.add(start_value, one))) as loop:
                    y = rows.load(listed_offset(builder.add(start_value, builder.add(loop.index, one))), at, ty)
                    x = builder.load(acc)
                    builder.store(builder.and_(x, y) if is_and else builder.or_(x, y), acc)
                rows.store(builder.load(acc), rows.offset(out_value), at, ty)

            rows.over_words(m_value, body)
            return context.get_dummy_value()

        return types.void(buf, prog, start, end, out, m), codegen

    return fold


def _adder_intrinsic(k: int):
    @intrinsic
    def add(typingctx, buf, a, b, c, total, carry, m):
        def codegen(context, builder, signature, args):
            rows = _Rows(context, builder, signature.args[0], args[0])
            *operands, total_row, carry_row, m_value = _intp_args(context, builder, signature, args, 1)
            offsets = [rows.offset(r) for r in operands[:k]]
            total_offset, carry_offset = rows.offset(total_row), rows.offset(carry_row)

            def body(at, ty):
                x, y, *z = (rows.load(o, at, ty) for o in offsets)
                t = builder.xor(x, y)
                if z:
                    rows.store(builder.or_(builder.and_(x, y), builder.and_(t, z[0])), carry_offset, at, ty)
                    rows.store(builder.xor(t, z[0]), total_offset, at, ty)
                else:
                    rows.store(builder.and_(x, y), carry_offset, at, ty)
                    rows.store(t, total_offset, at, ty)

            rows.over_words(m_value, body)
            return context.get_dummy_value()

        return types.void(buf, a, b, c, total, carry, m), codegen

    return add


@intrinsic
def at_least(typingctx, buf, bits, n_bits, k, out, m):
    """See the module docstring."""

    def codegen(context, builder, signature, args):
        rows = _Rows(context, builder, signature.args[0], args[0])
        bits_row, n_bits_value, k_value, out_row, m_value = _intp_args(context, builder, signature, args, 1)
        bits_offset, out_offset = rows.offset(bits_row), rows.offset(out_row)

        def body(at, ty):
            acc = cgutils.alloca_once(builder, ty)
            builder.store(_ones(ty), acc)
            with cgutils.for_range(builder, n_bits_value) as loop:  # [count >= k] on the bits so far
                bit = rows.load(builder.add(bits_offset, rows.offset(loop.index)), at, ty)
                x = builder.load(acc)
                k_bit = builder.trunc(builder.lshr(k_value, loop.index), ir.IntType(1))
                builder.store(builder.select(k_bit, builder.and_(x, bit), builder.or_(x, bit)), acc)
            rows.store(builder.load(acc), out_offset, at, ty)

        rows.over_words(m_value, body)
        return context.get_dummy_value()

    return types.void(buf, bits, n_bits, k, out, m), codegen


apply_table1, apply_table2, apply_table3 = (_table_intrinsic(k) for k in (1, 2, 3))
fold_all, fold_any = _fold_intrinsic(True), _fold_intrinsic(False)
add_rows2, add_rows3 = _adder_intrinsic(2), _adder_intrinsic(3)
