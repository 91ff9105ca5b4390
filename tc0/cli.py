"""The ``tc0`` command line: compile, inspect, simulate, import and export circuits."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click
import numpy as np

from tc0 import analysis, storage
from tc0.errors import GadgetError, Tc0Error
from tc0.gadgets.catalog import FLOAT_GADGETS, GADGETS, compile_gadget, gadget_family
from tc0.simulator import simulate

EXPORT_FORMATS = ("blif", "verilog", "graphml", "dot", "bristol")


def _reports_errors(fn):
    """Turn tc0's ValueError subclasses into one-line click errors (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except GadgetError as exc:
            raise click.UsageError(str(exc)) from None
        except Tc0Error as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}") from None

    return wrapper


def _load(path: str):
    return storage.load(path)


def _writable(path: str) -> str:
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise click.BadParameter(f"directory {str(parent)!r} does not exist", param_hint="'-o'")
    return path


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tc0")
def main():
    """tc0: build, measure and run constant-depth threshold circuits
    (AND/OR/NOT/MAJ) for the TC0 claims about FlowAR.

    Circuits are stored in the native .tc0 format (a validated npz, see
    docs/circuit-format.md). Typical session:

    \b
      tc0 compile int:sum --bits 16 --m 64 -o sum.tc0
      tc0 info sum.tc0
      tc0 simulate sum.tc0 --ints 0x0123456789abcdef...
      tc0 export sum.tc0 --format verilog -o sum.v
    """


_COMPILE_HELP = (
    "Compile a gadget to a circuit file. Integer gadgets take --bits (and --m);"
    " float gadgets take --p, optionally --e (default p + 1), and --m for sum/prod/dot."
    " Float ports hold words as in DESIGN section 3 (significand, exponent, sign; LSB first)."
    "\n\n\b\nGadgets:\n"
    + "\n".join(f"  {name:<11} {spec.summary}" for name, spec in {**GADGETS, **FLOAT_GADGETS}.items())
)


@main.command("compile", help=_COMPILE_HELP)
@click.argument("gadget", metavar="GADGET")
@click.option("--bits", "-W", type=int, default=None, help="Bit width W of each integer operand [default: 16].")
@click.option("--p", "p", type=int, default=None, help="Float significand bits p.")
@click.option("--e", "e", type=int, default=None, help="Float exponent bits e [default: p + 1].")
@click.option("--m", "m", type=int, default=None, help="Number of operands M (sum, max, prod, dot).")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="Circuit file to write.")
@_reports_errors
def compile_cmd(gadget, bits, p, e, m, out):
    _writable(out)
    circuit = compile_gadget(gadget, bits, m, p, e)
    circuit.save(out)
    click.echo(analysis.summary_line(circuit, gadget))


@main.command()
@click.argument("circuit", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print all measures as one JSON object.")
@click.option("--scopes", is_flag=True, help="Also print gates and critical-path depth per scope.")
@_reports_errors
def info(circuit, as_json, scopes):
    """Print a circuit's measures: i/o bits, gates by type, edges, depth.

    Size counts gates (sources are not gates), edges sum gate fan-ins, depth
    is the longest source-to-output path with every gate counting 1.
    """
    circ = _load(circuit)
    if as_json:
        data = analysis.stats(circ)
        if scopes:
            data["scopes"] = analysis.scope_breakdown(circ)
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(analysis.summary_line(circ, Path(circuit).stem))
    if scopes:
        click.echo(f"{'scope':<40} {'gates':>10} {'depth on critical path':>24}")
        for row in analysis.scope_breakdown(circ):
            click.echo(f"{row['scope']:<40} {row['size']:>10} {row['depth_on_critical_path']:>24}")


def _parse_case(text: str, where: str, widths: dict[str, int]) -> list[int]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != len(widths):
        raise click.BadParameter(
            f"{where}: {len(parts)} value(s) given, the circuit has {len(widths)} input port(s) "
            f"({', '.join(f'{n}:{w}' for n, w in widths.items())})"
        )
    values = []
    for part, (name, width) in zip(parts, widths.items()):
        try:
            value = int(part, 16) if part.lower().startswith("0x") else int(part, 10)
        except ValueError:
            raise click.BadParameter(f"{where}: {part!r} is not a decimal or 0x-hex integer") from None
        if value < 0:
            raise click.BadParameter(f"{where}: {part!r} is negative; inputs are unsigned")
        if value.bit_length() > width:
            raise click.BadParameter(f"{where}: {part} does not fit port {name!r} of {width} bits")
        values.append(value)
    return values


def ints_to_bits(values: list[int], width: int) -> np.ndarray:
    """Unsigned ints -> (len(values), width) uint8 bits, LSB first."""
    nbytes = -(-width // 8)
    raw = np.frombuffer(b"".join(v.to_bytes(nbytes, "little") for v in values), dtype=np.uint8)
    return np.unpackbits(raw.reshape(len(values), nbytes), axis=1, bitorder="little")[:, :width]


def bits_to_ints(bits: np.ndarray) -> list[int]:
    """(batch, width) bits, LSB first -> unsigned ints."""
    packed = np.packbits(bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


@main.command("simulate")
@click.argument("circuit", type=click.Path(dir_okay=False))
@click.option("--ints", "ints", metavar="A,B,...", help="One case: an unsigned integer per input port, in port order.")
@click.option("--ints-file", type=click.Path(dir_okay=False, exists=True),
              help="One case per line, comma-separated (decimal or 0x-hex); all cases run as one batch.")
@_reports_errors
def simulate_cmd(circuit, ints, ints_file):
    """Run a circuit on integer inputs.

    Each input port takes one unsigned integer (bit j of the integer is bit j
    of the port). Prints one line per case: the output ports, in port order,
    as comma-separated 0x-hex integers.
    """
    if (ints is None) == (ints_file is None):
        raise click.UsageError("give exactly one of --ints or --ints-file")
    circ = _load(circuit)
    if ints is not None:
        cases = [_parse_case(ints, "--ints", circ.inputs)]
    else:
        try:
            lines = Path(ints_file).read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            raise click.BadParameter(f"{ints_file} is not a UTF-8 text file", param_hint="'--ints-file'") from None
        cases = [
            _parse_case(line, f"{ints_file}:{no}", circ.inputs)
            for no, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
        if not cases:
            raise click.BadParameter(f"{ints_file} holds no cases", param_hint="'--ints-file'")
    inputs = {name: ints_to_bits([c[i] for c in cases], width) for i, (name, width) in enumerate(circ.inputs.items())}
    outputs = simulate(circ, inputs)
    columns = [bits_to_ints(bits) for bits in outputs.values()]
    for row in zip(*columns):
        click.echo(",".join(hex(v) for v in row))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@_reports_errors
def report(fmt):
    """Sweep every gadget family: depth per size, whether depth is constant
    from some point on, and the fitted polynomial exponent of size."""
    from tqdm import tqdm

    from tc0 import report as rep

    total = sum(len(values) for _, _, values, _ in rep.INTEGER_PLAN)
    with tqdm(total=total, desc="compiling", unit="circuit", disable=fmt == "json", leave=False) as bar:
        sweeps = rep.integer_sweeps(progress=bar)
    if fmt == "json":
        click.echo(json.dumps({"sweeps": [s.as_dict() for s in sweeps]}, indent=2))
    else:
        click.echo(rep.markdown(sweeps))


def _json_ready(value):
    """Non-finite floats as strings ("inf"), so the output is strict JSON."""
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


@main.command("check")
@click.argument("gadget", metavar="GADGET")
@click.option("--p", "p", type=int, default=None, help="Float significand bits p.")
@click.option("--e", "e", type=int, default=None, help="Float exponent bits e [default: p + 1].")
@click.option("--m", "m", type=int, default=None, help="Number of operands M (sum, prod, dot; int:sum/max/prod).")
@click.option("--bits", "-W", type=int, default=None, help="Bit width W of integer gadgets [default: 16].")
@click.option("--samples", type=int, default=10000, show_default=True, help="Random cases (edge cases come on top).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random cases.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@_reports_errors
def check_cmd(gadget, p, e, m, bits, samples, seed, as_json):
    """Run a gadget's circuit on edge cases and random inputs and compare.

    Float gadgets (float:OP --p P [--e E] [--m M]): the circuit must be bit
    for bit the p-bit reference (tc0.floats.reference), and the reference must
    agree with an independent oracle: MPFR (gmpy2) correct rounding with
    saturation/flush for add/sub/mul/div/sqrt/prod, exact comparisons for
    lt/eq/max/relu, faithful rounding for exp, DESIGN's truncated-sum rule for
    sum/dot (whose distance from the exactly rounded sum is reported). Formats
    with e > 28 skip the oracle (MPFR's exponent range).

    Integer gadgets (int:OP --bits W [--m M]): the circuit against Python
    integers, on every input pair when W <= 8 (or 2^(2W) <= --samples).

    Exit status 1 on any mismatch, 0 otherwise.
    """
    from tc0 import checking

    if samples < 0:
        raise GadgetError(f"--samples must be >= 0, got {samples}")
    if gadget_family(gadget, bits, p, e) == "int":
        result = checking.check_int_gadget(gadget, bits, m, samples, seed)
    else:
        result = checking.check_float_gadget(gadget, p, e, m, samples, seed)
    if as_json:
        click.echo(json.dumps(_json_ready(result), indent=2))
    else:
        click.echo(checking.summary(result))
    if not result["ok"]:
        click.get_current_context().exit(1)


@main.command("gadgets")
@click.option("--p", "p", type=int, required=True, help="Float significand bits p.")
@click.option("--e", "e", type=int, default=None, help="Float exponent bits e [default: p + 1].")
@click.option("--max-m-sum", type=int, default=256, show_default=True, help="Largest m of d_⊕(m) (m = 2, 4, 8, ...).")
@click.option("--max-m-prod", type=int, default=32, show_default=True, help="Largest m of d_⊗(m) (m = 2, 4, 8, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object (no progress bar).")
@_reports_errors
def gadgets_cmd(p, e, max_m_sum, max_m_prod, as_json):
    """Measure the paper's gadget depths for p-bit floats: d_std (the largest
    depth of float add, mul, lt), d_⊕(m) = float:sum for m = 2, 4, ..., 256,
    d_⊗(m) = float:prod for m = 2, 4, ..., 32, d_exp, d_sqrt and d_div, each
    with its size and edges, and the m from which d_⊕ and d_⊗ stop changing.
    """
    from tqdm import tqdm

    from tc0 import checking

    plan = checking.gadget_plan(max_m_sum, max_m_prod)
    checking.float_format(p, e)  # bad --p/--e before any work
    with tqdm(total=len(plan), desc="building", unit="circuit", disable=as_json, leave=False) as bar:
        result = checking.gadget_depths(p, e, max_m_sum, max_m_prod, progress=bar)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(checking.depth_table(result))


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["bristol"]), default="bristol", show_default=True)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="Circuit file to write.")
@_reports_errors
def import_cmd(file, fmt, out):
    """Import a foreign circuit (Bristol Fashion: XOR/AND/INV/EQ/EQW/MAND).

    Ports are named in0, in1, ... and out0, ...; XOR is lowered to the strict
    basis as (a OR b) AND NOT(a AND b).
    """
    from tc0.formats.bristol import read_bristol

    _writable(out)
    circuit = read_bristol(file)
    circuit.save(out)
    click.echo(analysis.summary_line(circuit, Path(file).stem))


@main.command("export")
@click.argument("circuit", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@_reports_errors
def export_cmd(circuit, fmt, out):
    """Export a circuit: BLIF, structural Verilog (MAJ as a sum comparison),
    GraphML or DOT (small circuits, via networkx), or Bristol (MAJ lowered)."""
    _writable(out)
    circ = _load(circuit)
    if fmt == "verilog":
        from tc0.formats.verilog import write_verilog as write
    elif fmt == "blif":
        from tc0.formats.blif import write_blif as write
    elif fmt == "bristol":
        from tc0.formats.bristol import write_bristol as write
    elif fmt == "graphml":
        from tc0.formats.graph import write_graphml as write
    else:
        from tc0.formats.graph import write_dot as write
    write(circ, out)
    click.echo(f"wrote {out} ({fmt})")


__all__ = ["main", "ints_to_bits", "bits_to_ints"]
