"""The ``tc0`` command line: compile, inspect, simulate, import and export circuits."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import signal
import sys
import threading
from pathlib import Path

import click
import numpy as np
from click.core import ParameterSource
from tqdm import tqdm

from tc0.cluster import default_workers, open_runner
from tc0.compiler.catalog import (
    FLOAT_GADGETS, GADGETS, METHOD_CHOICES, compile_gadget, gadget_family, gadget_method, module_format,
)
from tc0.errors import GadgetError, Tc0Error
from tc0.files import atomic_write, check_output
from tc0.io.aiger import read_aiger, write_aiger
from tc0.io.blif import write_blif
from tc0.io.blif_reader import read_blif
from tc0.io.bristol import MAX_WIRES as BRISTOL_MAX_WIRES
from tc0.io.bristol import read_bristol, write_bristol
from tc0.io.graph import write_dot, write_graphml
from tc0.io.int_cases import MAX_BATCH, batch_size, parse_case, read_int_cases
from tc0.io.verilog import write_verilog
from tc0.ir import measures
from tc0.ir.circuit import Circuit
from tc0.models.arrays import read_arrays, write_arrays
from tc0.models.backends import BACKENDS, VALUE_BACKENDS, value_backend
from tc0.models.backends.stream import DEFAULT_PIECE_GATES
from tc0.models.compile import DEFAULT_MAX_GATES, build_circuit
from tc0.models.config import shape_text
from tc0.models.layers.aattc_plan import MAX_DEGREE
from tc0.models.limits import MAX_FACTOR, MAX_SCALES, check_size
from tc0.models.module import MAX_SEED, make_config, random_inputs, random_weights
from tc0.models.prepare import fast_plan, plan_summary, prepare
from tc0.models.registry import FAMILIES, FAST_VARIANT, MODULES, family_of, get_module
from tc0.models.run import run
from tc0.models.streamed import module_scopes, stream_measures, stream_module
from tc0.numerics.format import OPTIMIZE
from tc0.report import gadget_depths, model_markdown, model_report, precision_sweep
from tc0.report import integers as integer_report
from tc0.report.html import render
from tc0.simulator import bits_to_ints, ints_to_bits, simulate
from tc0.verify import module_check
from tc0.verify.float_gadget_check import check_float_gadget
from tc0.verify.gadget_summary import MAX_SAMPLES as MAX_GADGET_SAMPLES
from tc0.verify.gadget_summary import SAMPLE_BATCH, gadget_summary
from tc0.verify.int_gadget_check import check_int_gadget

EXPORTERS = {"blif": write_blif, "verilog": write_verilog, "graphml": write_graphml, "dot": write_dot,
             "bristol": write_bristol, "aiger": write_aiger,
             "aiger-ascii": functools.partial(write_aiger, binary=False)}
#: readers of ``tc0 import``, and the file suffixes that name them when --format is not given
IMPORT_SUFFIXES = {".aig": "aiger", ".aag": "aiger", ".blif": "blif"}
EXPORT_FORMATS = tuple(EXPORTERS)


def _with_flags(exc: Tc0Error) -> str:
    """The error's message with every parameter it names written as the
    current command's flag for it (``max_gates`` -> ``--max-gates``)."""
    message = str(exc)
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return message
    flags = {param.name: param.opts[0] for param in ctx.command.params if isinstance(param, click.Option)}
    for name in exc.parameters:
        if name in flags:
            message = re.sub(rf"(?<![\w.'-]){re.escape(name)}(?![\w'-])", flags[name], message)
    return message


def _reports_errors(fn):
    """Turn tc0's ValueError subclasses into one-line click errors (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except GadgetError as exc:
            raise click.UsageError(_with_flags(exc)) from None
        except Tc0Error as exc:
            raise click.ClickException(_with_flags(exc)) from None
        except BrokenPipeError:
            raise  # stdout's reader went away: the group exits quietly (_GuardedGroup)
        except OSError as exc:
            raise click.ClickException(_os_error_line(exc)) from None

    return wrapper


def _one_line(text: str, limit: int = 400) -> str:
    """``text`` with its whitespace runs (newlines included) made single spaces, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _os_error_line(exc: OSError) -> str:
    """An ``OSError`` as one line: "FILE: reason" ("FILE -> FILE2: reason" for a
    rename), or the reason alone when it names no file."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    files = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return _one_line(f"{files}: {reason}" if files else reason)


def _load(path: str) -> Circuit:
    return Circuit.load(path)


def _writable(path: str, *inputs) -> str:
    """Refuse, before any work, an output ``path`` that cannot be written
    (``tc0.files.check_output``: a directory, FIFO or device, a trailing '/',
    the same file as one of ``inputs``) or whose directory does not exist."""
    parent = check_output(path, inputs).parent
    if not parent.is_dir():
        raise click.BadParameter(f"directory {str(parent)!r} does not exist", param_hint="'-o'")
    return path


#: exit status of a bug in tc0 (sysexits EX_SOFTWARE), of Ctrl-C (128 + SIGINT) and of
#: a reader of stdout that went away (128 + SIGPIPE, the status of a Unix tool SIGPIPE kills)
EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 70, 130, 141
#: set (to anything but "" or "0") to get the traceback of an internal error instead of one line
DEBUG_ENV = "TC0_DEBUG"


class _InternalError(click.ClickException):
    exit_code = EXIT_INTERNAL


class _GuardedGroup(click.Group):
    """The ``tc0`` group. No exception reaches the user as a traceback: a
    closed stdout pipe exits quietly (status 141), Ctrl-C quietly (130),
    ``MemoryError`` is a one-line "out of memory" error, and any other
    exception a one-line "internal error" (status 70; ``TC0_DEBUG=1`` shows
    the traceback instead). While it runs, SIGTERM exits (status 143)
    through the usual cleanups, so atomic writes remove their temp files."""

    def invoke(self, ctx):
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # a closed pipe shows here, not as a message at exit
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        except KeyboardInterrupt:
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
                raise
            detail = _one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            if isinstance(exc, MemoryError):
                raise click.ClickException(f"out of memory ({detail}); try smaller sizes or options "
                                           "(--n, --c, --max-gates, --samples)") from None
            raise _InternalError(f"internal error: {detail} (a bug in tc0; please report it with the command "
                                 f"line; {DEBUG_ENV}=1 shows the traceback)") from None

    def main(self, *args, **kwargs):
        with _sigterm_exits():
            try:
                return super().main(*args, **kwargs)
            finally:
                try:
                    sys.stdout.flush()
                except BrokenPipeError:
                    _silence_stdout()
                    raise SystemExit(EXIT_BROKEN_PIPE) from None


def _silence_stdout() -> None:
    """Point the stdout file descriptor at /dev/null, so that the
    interpreter's last flush of a closed pipe succeeds silently."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (tests capture stdout)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


@contextlib.contextmanager
def _sigterm_exits():
    """While the CLI runs in the main thread, SIGTERM raises ``SystemExit(143)``
    so that ``finally`` blocks run (temp files, Dask clusters); a second
    SIGTERM kills at once. SIGKILL cannot be caught."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


#: code whose frames an exception must not unwind: numba's compiler and llvmlite run Python inside
#: LLVM callbacks, and SystemExit raised there crashed the process (SIGSEGV) instead of exiting
_NATIVE_CALLBACKS = (f"{os.sep}numba{os.sep}", f"{os.sep}llvmlite{os.sep}")
#: how soon a deferred SIGTERM is tried again (seconds)
_SIGTERM_RETRY = 0.02


def _exit_on_sigterm(signum, frame):
    signal.signal(signum, signal.SIG_DFL)
    _exit_when_safe(signum, frame)


def _exit_when_safe(signum, frame):
    """Raise ``SystemExit(128 + signum)``, or, inside numba's compiler, try again shortly (SIGALRM)."""
    while frame is not None:
        if any(part in frame.f_code.co_filename for part in _NATIVE_CALLBACKS):
            signal.signal(signal.SIGALRM, lambda _, later: _exit_when_safe(signum, later))
            signal.setitimer(signal.ITIMER_REAL, _SIGTERM_RETRY)
            return
        frame = frame.f_back
    raise SystemExit(128 + signum)


@click.group(cls=_GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tc0")
def main():
    """tc0: build, measure and run constant-depth threshold circuits
    (AND/OR/NOT/MAJ) for the TC0 claims about FlowAR.

    Circuits are stored in the native .tc0 format (a validated npz, see
    docs/circuit-format.md). Typical session:

    \b
      tc0 report                                   # the lemma report (minutes)
      tc0 check flowar --n 2 --c 2 --scales 2      # circuit vs p-bit vs float64
      tc0 check flowar --n 8 --stream --samples 64 # the same, one operation slice at a time
      tc0 measure flowar --n 16 --scopes           # size and depth past this machine's memory
      tc0 compile attention --n 2 --c 2 -o attn.tc0
      tc0 info attn.tc0 --scopes
      tc0 compile int:sum --bits 16 --m 64 -o sum.tc0
      tc0 info sum.tc0
      tc0 simulate sum.tc0 --ints 0x0123456789abcdef...
      tc0 export sum.tc0 --format verilog -o sum.v

    Errors are one line; exit status 1 for bad input or a failed check, 2
    for bad usage, 70 for a bug in tc0 (an "internal error"; set TC0_DEBUG=1
    for its traceback), 130 on Ctrl-C, 141 when stdout's reader goes away
    (e.g. | head), 143 on SIGTERM. Files are written to a temp file
    .NAME.tc0-tmp-XXXXXXXX beside NAME and renamed into place (through a
    symlink, keeping the file's mode); Ctrl-C and SIGTERM remove it, only
    SIGKILL can leave it behind.
    """


_GADGET_LIST = "\n".join(f"  {name:<11} {spec.summary}" for name, spec in {**GADGETS, **FLOAT_GADGETS}.items())
_MODULE_LIST = "\n".join(f"  {name:<14} {spec.summary}" for name, spec in MODULES.items())

_COMPILE_HELP = (
    "Compile a FlowAR module or a gadget to a circuit file (.tc0)."
    "\n\nModules take the shape options --n, --c (--scales, --factor for flowar), the float format"
    " --p/--e, and weights: seeded (--seed, --bound) or from --weights W.npz; weights are constants"
    " folded into the circuit unless --weights-as-inputs makes them input ports. Input ports are named"
    " as in DESIGN section 5 (X; Y_hat, F0; Z_init, F0_1..F0_K), each holding its tensor's words"
    " row-major; the output port is Y."
    "\n\nInteger gadgets take --bits (and --m); float gadgets take --p, optionally --e (default p + 1),"
    " and --m for sum/prod/dot. Float ports hold words as in DESIGN section 3 (significand, exponent,"
    " sign; LSB first)."
    "\n\n\b\nModules:\n" + _MODULE_LIST + "\n\n\b\nGadgets:\n" + _GADGET_LIST
)


def _module_options(fn):
    """The shape, format and weight options shared by the module commands."""
    options = [
        click.option("--n", "n", type=int, default=2, show_default=True,
                     help="Image side n >= 1 (h = w = n). Every module shape is refused up front when its inputs "
                          "and weights together, or any tensor it creates, exceed 2^24 scalars."),
        click.option("--c", "c", type=int, default=4, show_default=True,
                     help="Channels c >= 1 (layer norm needs c >= 3 to depend on its input)."),
        click.option("--scales", "-K", "scales", type=click.IntRange(1, MAX_SCALES), default=None,
                     help=f"Scales K, 1..{MAX_SCALES}: flowar (n divisible by a^(K-1)) [default: 2], the VAR modules "
                          "[default: 3, sizes 1, n/2^(K-2), ..., n/2, n]."),
        click.option("--sizes", default=None, metavar="S[,S...]",
                     help="VAR modules: the scale sizes s_1 < ... < s_K = n, e.g. 1,2,3,4,6,8 (K = their number)."),
        click.option("--factor", "-a", "factor", type=click.IntRange(1, MAX_FACTOR), default=None,
                     help=f"Resampling factor a, 1..{MAX_FACTOR} (upsample, downsample, flowar) [default: 2]."),
        click.option("--size", "out_size", type=click.IntRange(2, None), default=None,
                     help="upsample: the output side S > n (bicubic to S x S) in place of --factor."),
        click.option("--c-out", "c_out", type=click.IntRange(1, None), default=None,
                     help="conv: output channels [default: c]."),
        click.option("--hidden", type=int, default=None, help="FFN hidden width m >= 1 [default: c]."),
        click.option("--t", "times", default=None, metavar="T[,T...]",
                     help="Timestep(s) in [0, 1]: one for flow-matching, K for flowar [default: 0.5 each]."),
        click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True,
                     help="Seed, 0..2^63-1, of the random weights (gadget checks: of their cases). Weights, "
                          "tc0 inputs, check cases and calibration draw from independent streams of one seed."),
        click.option("--bound", type=float, default=None,
                     help="Seeded weights uniform in [-R, R], R > 0 finite [default: 1/sqrt(fan-in) for matrices, "
                          "1/2 for vectors]."),
        click.option("--weights", "weights_file", type=click.Path(dir_okay=False), default=None,
                     help="Weights .npz (DESIGN section 5 names) instead of seeded ones."),
        click.option("--delta", type=float, default=None,
                     help="Fast modules: AAttC target error > 0, relative to max |V| [default: 0.01]."),
        click.option("--degree", type=int, default=None,
                     help=f"Fast modules: polynomial degree g, 0..{MAX_DEGREE} [default: the smallest meeting "
                          "--delta]."),
        click.option("--r-bound", "r_bound", type=float, default=None,
                     help="Bound R > 0 on input entries: random inputs are drawn in [-R, R]; fast modules fit "
                          "their score range to it [default: 1]."),
        click.option("--strict", is_flag=True, help="Refuse input entries beyond --r-bound."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _optimize_option(fn):
    return click.option("--optimize", type=click.Choice(OPTIMIZE), default="size", show_default=True,
                        help="Build for size (a NOT gate per negation, normalise then round) or depth (a "
                             "gate's negation as its dual over negated fan-ins; rounding by the leading one's "
                             "position; candidate results picked inside the rounding): about half the levels "
                             "of float gadgets, up to 3.3x the gates. The same function either way.")(fn)


def _format_options(fn):
    fn = click.option("--method", type=click.Choice(METHOD_CHOICES), default=None,
                      help="Algorithm of div, sqrt and exp: table (a ROM on ~p/3 bits, size ~2^(p/3)), series "
                           "(a ROM on ~log2 p bits and a Chinese-remainder series, size polynomial in p) or auto "
                           "(the smaller circuit at this format; the output says which) [default: table].")(fn)
    fn = click.option("--e", "e", type=int, default=None, help="Float exponent bits e >= 2 [default: p + 1].")(fn)
    return click.option("--p", "p", type=int, default=None,
                        help="Float significand bits p >= 2 (gadgets: up to 4096; modules: up to 128; words past 64 "
                             "bits are Python integers on the reference paths) [default for modules: 8].")(fn)


def _module_setup(name, options: dict):
    """(spec, config, weights, warnings) for a module command from its
    ``_module_options``: the shape checked against ``tc0.models.limits``
    before any array of its size is made; a fast module's config carries its
    fitted polynomial plan. ``warnings``: what the module's definition
    records about this shape (a layer norm that cannot depend on its input)."""
    spec = get_module(name)
    cfg = make_config(spec, n=options["n"], c=options["c"], scales=options["scales"], factor=options["factor"],
                      sizes=_parse_sizes(options["sizes"]), out_size=options["out_size"], c_out=options["c_out"],
                      times=_parse_times(options["times"]), hidden=options["hidden"], strict=options["strict"],
                      delta=options["delta"], degree=options["degree"], r_bound=options["r_bound"])
    cost = check_size(spec, cfg)
    if options["weights_file"] is not None:
        weights = read_arrays(options["weights_file"], "weights", spec.weights(cfg))
    else:
        weights = random_weights(spec, cfg, seed=options["seed"], bound=options["bound"])
    cfg = prepare(spec, cfg, weights)
    if cfg.poly is not None:
        cost = check_size(spec, cfg)
    return spec, cfg, weights, cost.warnings


def _warn(warnings) -> None:
    """Each warning as one line on stderr."""
    for line in warnings:
        click.echo(f"Warning: {line}", err=True)


def _parse_sizes(text):
    if text is None:
        return None
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of integers",
                                 param_hint="'--sizes'") from None


def _parse_times(text):
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of numbers", param_hint="'--t'") from None
    bad = [v for v in values if not 0.0 <= v <= 1.0]
    if bad:
        raise click.BadParameter(f"timesteps must lie in [0, 1], got {bad[0]}", param_hint="'--t'")
    return values


MODULE_PARAMS = ("n", "c", "scales", "factor", "hidden", "times", "seed", "bound", "weights_file",
                 "weights_as_inputs", "max_gates", "delta", "degree", "r_bound", "strict")
GADGET_PARAMS = ("bits", "m")


def _refuse_options(ctx, params, applies_to: str) -> None:
    """A UsageError naming the first of ``params`` given on the command line."""
    for param in ctx.command.params:
        if param.name in params and ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE:
            raise click.UsageError(f"{param.opts[0]} applies to {applies_to}")


def _check_known_module(name):
    if name not in MODULES:
        raise click.UsageError(f"unknown module {name!r}; modules: {', '.join(MODULES)}")


def _check_known(name):
    if name not in MODULES and name not in GADGETS and name not in FLOAT_GADGETS:
        raise click.UsageError(
            f"unknown module or gadget {name!r}; modules: {', '.join(MODULES)}; "
            f"gadgets: {', '.join([*GADGETS, *FLOAT_GADGETS])}"
        )


def _gate_progress(desc: str):
    """A tqdm bar over gates built, and the ``progress(nodes, estimated_total)``
    callback ``build_circuit`` feeds it."""
    bar = tqdm(desc=desc, unit="gate", unit_scale=True, leave=False, disable=None)

    def update(nodes: int, total: int) -> None:
        bar.total = total
        bar.update(max(0, min(nodes, total) - bar.n))

    return bar, update


#: most local Dask workers (4 per core this process may use)
MAX_WORKERS = 4 * default_workers()
_BITS_HELP = ("Gadgets: bit width W of each integer operand, 1..256 (int:mul 1..64, int:prod, int:lt-delta 1..32, "
              "int:lt-weights 1..24, int:add-delta 1..20, int:sum-delta 1..16, int:mul-delta 1..10) [default: 16].")
_M_HELP = ("Gadgets: number of operands M, 1..256 (int:max 1..128; int:prod, float:prod 1..32; int:sum-delta 1..16) "
           "for sum, max, prod, dot.")


def _stream_options(fn):
    """Where and in what pieces a streamed run goes (check --stream, measure)."""
    options = [
        click.option("--piece-gates", type=click.IntRange(min=1), default=DEFAULT_PIECE_GATES, show_default=True,
                     help="Streamed: largest piece, in estimated gates >= 1 (bounds the memory of each worker)."),
        click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=None,
                     help=f"Streamed: Dask worker processes on this machine, 1..{MAX_WORKERS} (4 per core) "
                          "[default: one per core; 1 runs in this process]."),
        click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="Streamed: run on the existing Dask cluster at ADDRESS (e.g. tcp://127.0.0.1:8786)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


STREAM_PARAMS = ("piece_gates", "workers", "scheduler")


def _module_build_setup(ctx, name, options: dict):
    """For compile/check/measure of a module: refuse gadget options, then
    (spec, config, weights, warnings (``_module_setup``), format, progress
    bar, its update callback)."""
    _refuse_options(ctx, GADGET_PARAMS, f"gadgets, not to the module {name}")
    fmt = module_format(8 if options["p"] is None else options["p"], options["e"], options["method"],
                        options["optimize"])
    return (*_module_setup(name, options), fmt, *_gate_progress(f"compiling {name}"))


@main.command("compile", help=_COMPILE_HELP)
@click.argument("name", metavar="MODULE|GADGET")
@_module_options
@_format_options
@_optimize_option
@click.option("--weights-as-inputs", is_flag=True, help="Modules: weights become input ports instead of constants.")
@click.option("--max-gates", type=int, default=None,
              help="Modules: refuse above this many gates >= 1 (estimated first, then guarded while building) "
                   "[default: 40,000,000].")
@click.option("--bits", "-W", type=int, default=None, help=_BITS_HELP)
@click.option("--m", "m", type=int, default=None, help=_M_HELP)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="Circuit file to write.")
@click.pass_context
@_reports_errors
def compile_cmd(ctx, name, bits, m, out, weights_as_inputs, max_gates, **options):
    _check_known(name)
    _writable(out, options["weights_file"])
    if name not in MODULES:
        _refuse_options(ctx, MODULE_PARAMS, f"modules, not to the gadget {name}")
        circuit = compile_gadget(name, bits, m, options["p"], options["e"], options["method"], options["optimize"])
    else:
        spec, cfg, weights, warnings, fmt, bar, update = _module_build_setup(ctx, name, options)
        with bar:
            circuit = build_circuit(
                spec, cfg, fmt, weights, weights_as_inputs=weights_as_inputs,
                max_gates=DEFAULT_MAX_GATES if max_gates is None else max_gates, progress=update,
            )
    circuit.save(out)
    click.echo(measures.summary_line(circuit, name))
    if name in MODULES or options["method"] is not None:
        method = fmt.method if name in MODULES else gadget_method(name, options["method"], options["p"],
                                                                  options["e"], m)
        click.echo(f"div, sqrt, exp: {method} method")
    if name in MODULES:
        if cfg.poly is not None:
            click.echo(plan_summary(fast_plan(cfg)))
        _warn(warnings)


@main.command()
@click.argument("circuit", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print all measures as one JSON object.")
@click.option("--scopes", is_flag=True, help="Also print gates and critical-path depth per scope.")
@click.option("--path", "stages", is_flag=True,
              help="Also print the critical path stage by stage: each run of path gates built in one scope, its "
                   "levels and the level it ends at (the levels add up to the depth).")
@_reports_errors
def info(circuit, as_json, scopes, stages):
    """Print a circuit's measures: i/o bits, gates by type, edges, depth.

    Size counts gates (sources are not gates), edges sum gate fan-ins, depth
    is the longest source-to-output path with every gate counting 1.

    Example: tc0 compile float:add --p 8 -o add.tc0 && tc0 info add.tc0 --path
    """
    circ = _load(circuit)
    if as_json:
        data = measures.stats(circ)
        if scopes:
            data["scopes"] = measures.scope_breakdown(circ)
        if stages:
            data["critical_path"] = measures.critical_stages(circ)
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(measures.summary_line(circ, Path(circuit).stem))
    if scopes:
        click.echo(f"{'scope':<40} {'gates':>10} {'depth on critical path':>24}")
        for row in measures.scope_breakdown(circ):
            click.echo(f"{row['scope']:<40} {row['size']:>10} {row['depth_on_critical_path']:>24}")
    if stages:
        click.echo(f"{'critical path, from the inputs':<60} {'levels':>7} {'ends at':>8}")
        for row in measures.critical_stages(circ):
            click.echo(f"{row['scope']:<60} {row['levels']:>7} {row['ends_at']:>8}")


@main.command("simulate")
@click.argument("circuit", type=click.Path(dir_okay=False))
@click.option("--ints", "ints", metavar="A,B,...", help="One case: an unsigned integer per input port, in port order.")
@click.option("--ints-file", type=click.Path(dir_okay=False, exists=True),
              help="One case per line, comma-separated (decimal or 0x-hex; blank lines and # comments skipped). "
                   f"Read line by line and run in batches of at most {MAX_BATCH:,} cases (fewer for wide circuits), "
                   "so any number of lines runs in bounded memory; a bad line stops the run there, after the "
                   "results of the batches before it.")
@click.option("--threads", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Threads sharing each batch's blocks of samples (pays from thousands of cases on).")
@_reports_errors
def simulate_cmd(circuit, ints, ints_file, threads):
    """Run a circuit on integer inputs.

    Each input port takes one unsigned integer (bit j of the integer is bit j
    of the port). Prints one line per case: the output ports, in port order,
    as comma-separated 0x-hex integers. A circuit whose simulation would
    need more memory than this process has available is refused before
    anything is compiled, with both figures.

    Example: tc0 simulate sum.tc0 --ints-file cases.txt --threads 2
    """
    if (ints is None) == (ints_file is None):
        raise click.UsageError("give exactly one of --ints or --ints-file")
    circ = _load(circuit)
    if ints is not None:
        batches = [[parse_case(ints, "--ints", circ.inputs)]]
    else:
        batches = read_int_cases(ints_file, circ.inputs, batch_size(circ.inputs, circ.n_outputs))
    for cases in batches:
        inputs = {name: ints_to_bits([c[i] for c in cases], width)
                  for i, (name, width) in enumerate(circ.inputs.items())}
        columns = [bits_to_ints(bits) for bits in simulate(circ, inputs, threads=threads).values()]
        click.echo("\n".join(",".join(hex(v) for v in row) for row in zip(*columns)))


def _int_list(text: str, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of integers", param_hint=f"'{flag}'") from None
    if not values:
        raise click.BadParameter("the list is empty", param_hint=f"'{flag}'")
    return values


@main.command()
@click.option("--family", default=None, metavar="NAME[,NAME]",
              help="Model families, comma-separated: flowar (the paper's lemmas 4.1-4.8, Theorem 4.9) and var "
                   "(tc0's derived bounds; seed 004 states none), one section each [default: flowar; with "
                   "--format html: flowar,var].")
@click.option("--modules", default=None,
              help="Comma-separated exact modules of one family to report (" + ", ".join(FAST_VARIANT)
                   + " bring their fast variants) [default: all of the family's; the family: theirs].")
@click.option("--n", "n_values", default=None, help="Image sides n of the sweep [default: 1,2,4,8; var: 2,4,8].")
@click.option("--p", "p_values", default="4,8,12", show_default=True,
              help="Significand widths p: the n sweep runs at p = 8 (or the first), the p sweep at a small n.")
@click.option("--c", "c", type=int, default=4, show_default=True, help="Channels c.")
@click.option("--scales", "-K", type=int, default=None,
              help="Scales K of flowar and the VAR modules [default: 2; the report runs VAR at K = 2 so that n = 2 "
                   "is a shape, K = 3 needs n >= 4]).")
@click.option("--factor", "-a", type=int, default=2, show_default=True, help="Factor a of flowar and resampling.")
@click.option("--max-gates", type=int, default=12_000_000, show_default=True,
              help="Skip (and say so) points estimated above this many gates.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the weights (constants).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "html"]), default="markdown", show_default=True)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), default=None,
              help="File to write (required for html; markdown/json go to stdout without it).")
@click.option("--integers", is_flag=True, help="Report the integer-gadget sweeps instead (depth and size against W, m).")
@click.option("--max-stream-gates", type=int, default=None,
              help="Points estimated above --max-gates are streamed up to this many gates; larger ones are skipped "
                   "[default: 1,000,000,000; var: 700,000,000].")
@click.option("--method", type=click.Choice(METHOD_CHOICES), default="table", show_default=True,
              help="Algorithm of div, sqrt and exp in every module and gadget depth (auto: per p, the smaller; "
                   "series: polynomial in p, for p up to 64).")
@click.option("--diagonal", is_flag=True,
              help="Build the i-th --n with the i-th --p only (the regime p = poly(n), e.g. --n 2,4,8 --p 8,16,32) "
                   "instead of the n sweep at one p and the p sweep at one n.")
@_optimize_option
@_stream_options
@_reports_errors
def report(family, modules, n_values, p_values, c, scales, factor, max_gates, seed, fmt, out, integers,
           max_stream_gates, method, diagonal, optimize, piece_gates, workers, scheduler):
    """Build every module of a family (FlowAR by default) over a sweep of n
    and p and check the depth lemmas (FlowAR: the paper's 4.1-4.8 and
    Theorem 4.9; VAR: tc0's derived bounds, its paper having none) against
    the real circuits.

    Prints first how many lemma rows exceed the paper's bound and the
    corrected bound, and which; then the gadget depths (d_std, d_⊕, d_exp,
    d_sqrt, d_div) per p; the lemma table (measured depth and size, the
    paper's formula and bound, the corrected formula where the paper leaves
    an operation out, and a verdict against each bound); per module the n
    sweep (depth constant from which n, fitted size exponent against the
    paper's); the p sweep; and where the
    gates and the critical path go, by float gadget. Points estimated above
    --max-gates are streamed (measured piece by piece, as tc0 measure does),
    up to --max-stream-gates; points run as Dask tasks on --workers local
    processes (default one per core) or on --scheduler. The default run
    takes about 4 minutes on 2 cores.

    \b
    Example:
      tc0 report --modules attention,flowar --n 2,4,8 --format json -o report.json
      tc0 report --family var --format json -o var.json
      tc0 report --format html -o report.html     # flowar and var sections, plots
      tc0 report --p 8,16,32,64 --method series --modules matmul,attention,layernorm
      tc0 report --n 2,4,8 --p 8,16,32 --diagonal --method series --modules matmul,layernorm
      tc0 report --optimize depth --modules flowar --n 4 --p 8     # every point built for depth
      tc0 report --integers --optimize depth
    """
    if out is not None:
        _writable(out)
    if fmt == "html" and out is None:
        raise click.UsageError("--format html needs -o FILE")
    if integers:
        total = sum(len(values) for _, _, values in integer_report.INTEGER_PLAN)
        with tqdm(total=total, desc="compiling", unit="circuit", disable=None, leave=False) as bar:
            sweeps = integer_report.integer_sweeps(progress=bar, optimize=optimize)
        text = (json.dumps({"optimize": optimize, "sweeps": [s.as_dict() for s in sweeps]}, indent=2)
                if fmt == "json" else integer_report.markdown(sweeps, optimize))
    else:
        names = () if modules is None else tuple(m.strip() for m in modules.split(",") if m.strip())
        if modules is not None and not names:
            raise click.BadParameter("no modules to report", param_hint="'--modules'")
        families = _families(family, fmt) if family is not None or not names else [family_of(names[0]).name]
        if names and len(families) > 1:
            raise click.UsageError("--modules applies to one family: give one --family")
        plans = [model_report.ReportPlan(
            family=name, modules=names, n_values=None if n_values is None else _int_list(n_values, "--n"),
            p_values=_int_list(p_values, "--p"),
            c=c, scales=scales, factor=factor, max_gates=max_gates, max_stream_gates=max_stream_gates,
            piece_gates=piece_gates, seed=seed, method=method, diagonal=diagonal, optimize=optimize,
        ) for name in families]
        with (open_runner(workers, scheduler) as runner,
              tqdm(total=sum(plan.steps() for plan in plans), desc="building", unit="point", disable=None,
                   leave=False) as bar):
            results = [model_report.run_report(plan, progress=bar, runner=runner) for plan in plans]
        if fmt == "json":
            text = json.dumps(_json_ready(results[0] if len(results) == 1 else {"reports": results}), indent=2)
        elif fmt == "html":
            text = render(results)
        else:
            text = "\n\n".join(model_markdown.markdown(result) for result in results)
    if out is None:
        click.echo(text)
    else:
        atomic_write(out, lambda fh: fh.write(text.encode("utf-8")))
        click.echo(f"wrote {out} ({fmt})")
    if not integers and any(result["over_corrected"] for result in results):
        click.get_current_context().exit(1)


def _families(text: str | None, fmt: str) -> list[str]:
    """The families of a report: ``--family``'s comma list, by default flowar (flowar and var for html;
    with ``--modules``, their family)."""
    names = [f.strip() for f in (text or ("flowar,var" if fmt == "html" else "flowar")).split(",") if f.strip()]
    unknown = [f for f in names if f not in FAMILIES]
    if unknown or not names:
        raise click.BadParameter(f"{', '.join(unknown) or 'no family'}: families are {', '.join(FAMILIES)}",
                                 param_hint="'--family'")
    return list(dict.fromkeys(names))


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
@click.argument("name", metavar="MODULE|GADGET")
@_module_options
@_format_options
@_optimize_option
@click.option("--weights-as-inputs", is_flag=True, help="Modules: weights are input ports (fed the same words).")
@click.option("--max-gates", type=int, default=None, help="Modules: as for compile, >= 1 [default: 40,000,000].")
@click.option("--m", "m", type=int, default=None, help=_M_HELP)
@click.option("--bits", "-W", type=int, default=None, help=_BITS_HELP)
@click.option("--samples", type=int, default=None,
              help=f"Random cases: modules 1..{module_check.MAX_SAMPLES:,} input sets [default: 8] (--stream: "
                   f"samples x scalar operations <= 2^27); gadgets 0..{MAX_GADGET_SAMPLES:,} [default: 10000], edge "
                   f"cases on top. Checked in batches of at most {SAMPLE_BATCH:,}.")
@click.option("--case-seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True,
              help="Modules: seed, 0..2^63-1, of the random input sets (the \"cases\" stream; gadgets: --seed "
                   "seeds their cases).")
@click.option("--stream", is_flag=True,
              help="Modules: build, simulate and check one operation slice at a time (DESIGN section 9) "
                   "instead of the whole circuit; for circuits past this machine's memory.")
@_stream_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.pass_context
@_reports_errors
def check_cmd(ctx, name, weights_as_inputs, max_gates, m, bits, samples, case_seed, stream, piece_gates, workers,
              scheduler, as_json, **options):
    """Compile a module or gadget, run its circuit on many inputs, and compare.

    Modules (MODULE [shape options]): simulate the circuit on --samples random
    input sets (uniform in [-R, R], R = --r-bound); its output must be bit for bit the p-bit
    reference's. Also reports the p-bit reference's error against float64 run
    on the same rounded inputs and weights: max absolute, and max relative
    (each sample's largest error over its largest |output|). --json gives
    bit_exact, mismatches, samples, max_abs_err, max_rel_err, size, depth and
    more.

    With --stream, each operation (or slice of its elements, at most
    --piece-gates gates) becomes its own circuit, simulated and compared with
    the p-bit reference operation at once, then dropped; pieces run on Dask
    workers (--workers, --scheduler). Depth and size are those of the whole
    circuit (size: within the gates one build would share across pieces);
    --json adds pieces, peak_rss_bytes and the mismatching operations.

    \b
    Example:
      tc0 check flowar --n 8 --c 2 --scales 2 --stream --samples 64 --json

    Float gadgets (float:OP --p P [--e E] [--m M]): the circuit must be bit
    for bit the p-bit reference (tc0.numerics.reference), and the reference must
    agree with an independent oracle: MPFR (gmpy2) correct rounding with
    saturation/flush for add/sub/mul/div/sqrt/prod, exact comparisons for
    lt/eq/max/relu, faithful rounding for exp, DESIGN's truncated-sum rule for
    sum/dot (whose distance from the exactly rounded sum is reported). Formats
    with e > 28 skip the oracle (MPFR's exponent range).

    Integer gadgets (int:OP --bits W [--m M]): the circuit against Python
    integers, on every input pair when W <= 8 (or 2^(2W) <= --samples).

    Exit status 1 on any mismatch, 0 otherwise.
    """
    _check_known(name)
    if name in MODULES:
        if stream:
            _refuse_options(ctx, ["max_gates"], "whole builds; streamed pieces are bounded by --piece-gates")
        else:
            _refuse_options(ctx, STREAM_PARAMS, "--stream")
        spec, cfg, weights, _, fmt, bar, update = _module_build_setup(ctx, name, options)
        samples = 8 if samples is None else samples
        module_check.check_samples(spec, cfg, samples, streamed=stream)
        checking = functools.partial(
            module_check.check_module, spec, cfg, fmt, weights, samples=samples,
            seed=case_seed, weights_as_inputs=weights_as_inputs, progress=update)
        if stream:
            with open_runner(workers, scheduler) as runner, bar:
                result = checking(runner=runner, piece_gates=piece_gates)
        else:
            with bar:
                result = checking(max_gates=DEFAULT_MAX_GATES if max_gates is None else max_gates)
        ok = result["bit_exact"]
        line = module_check.check_summary(result)
    else:
        _refuse_options(ctx, [k for k in MODULE_PARAMS if k != "seed"], f"modules, not to the gadget {name}")
        _refuse_options(ctx, ["case_seed"], "modules; gadgets take --seed for their cases")
        _refuse_options(ctx, ["stream", *STREAM_PARAMS], f"modules, not to the gadget {name}")
        samples = 10000 if samples is None else samples
        p, e, seed = options["p"], options["e"], options["seed"]
        if gadget_family(name, bits, p, e) == "int":
            _refuse_options(ctx, ["method"], f"float gadgets and modules, not to the integer gadget {name}")
            result = check_int_gadget(name, bits, m, samples, seed, optimize=options["optimize"])
        else:
            result = check_float_gadget(name, p, e, m, samples, seed, method=options["method"],
                                        optimize=options["optimize"])
        ok = result["ok"]
        line = gadget_summary(result)
    click.echo(json.dumps(_json_ready(result), indent=2) if as_json else line)
    if not as_json:
        _warn(result.get("warnings", ()))
    if not ok:
        ctx.exit(1)


@main.command("measure")
@click.argument("name", metavar="MODULE")
@_module_options
@_format_options
@_optimize_option
@click.option("--weights-as-inputs", is_flag=True, help="Weights are input ports instead of constants.")
@_stream_options
@click.option("--scopes", is_flag=True, help="Also print gates per module scope (gadget internals summed).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object (all scope paths).")
@click.pass_context
@_reports_errors
def measure_cmd(ctx, name, weights_as_inputs, piece_gates, workers, scheduler, scopes, as_json, **options):
    """Measure a module's circuit without building it whole: size, depth,
    edges and gates per scope, streamed one operation slice at a time
    (DESIGN section 9) on Dask workers. No simulation (tc0 check --stream
    also simulates). Memory is bounded by the largest piece, so sizes far
    past this machine's memory can be measured.

    \b
    Example:
      tc0 measure flowar --n 8 --c 2 --scales 2 --workers 2 --scopes
    """
    _check_known_module(name)
    spec, cfg, weights, warnings, fmt, bar, update = _module_build_setup(ctx, name, options)
    bar.set_description(f"streaming {name}")
    with open_runner(workers, scheduler) as runner, bar:
        streamed = stream_module(spec, cfg, fmt, weights, runner, weights_as_inputs=weights_as_inputs,
                                 piece_gates=piece_gates, progress=update)
    result = {"module": name, **spec.shape(cfg), "p": fmt.p,
              "e": fmt.e, "method": fmt.method, "weights_as_inputs": weights_as_inputs, **stream_measures(streamed, scopes=True),
              "warnings": warnings}
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"{name} {shape_text(result)} p={fmt.p} e={fmt.e} ({fmt.method}): size {streamed.size:,}, "
               f"depth {streamed.depth}, edges {streamed.edges:,}; {streamed.pieces:,} pieces on "
               f"{streamed.workers} worker(s), {streamed.seconds:.1f} s, peak memory "
               f"{streamed.peak_rss / 2**30:.2f} GiB")
    if scopes:
        click.echo(f"{'scope':<60} {'gates':>14}")
        for scope, size in module_scopes(streamed.scope_sizes):
            click.echo(f"{scope:<60} {size:>14,}")
    _warn(warnings)


def _module_npz_command(name: str):
    """A ``tc0 NAME MODULE [module options] -o FILE.npz`` command."""

    def wrap(fn):
        fn = _reports_errors(fn)
        fn = click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
                          help=".npz file to write.")(fn)
        fn = _module_options(fn)
        fn = click.argument("name", metavar="MODULE")(fn)
        return main.command(name)(fn)

    return wrap


@_module_npz_command("weights")
def weights_cmd(name, out, **options):
    """Write the weights a module compile with the same options uses (seeded
    by --seed, or re-checked from --weights) as .npz with DESIGN section 5
    names (e.g. scale1.tf.attn.W_Q)."""
    _writable(out, options["weights_file"])
    spec, cfg, weights, _ = _module_setup(name, options)
    write_arrays(out, weights)
    click.echo(f"wrote {out}: {len(weights)} array(s): " + ", ".join(f"{k} {v.shape}" for k, v in weights.items()))


@_module_npz_command("inputs")
def inputs_cmd(name, out, **options):
    """Write random module inputs (uniform in [-R, R], R = --r-bound, from
    the "inputs" stream of --seed, independent of the weights of the same
    seed) as .npz with DESIGN section 5 names, e.g. for tc0 run."""
    _writable(out, options["weights_file"])
    spec, cfg, _, _ = _module_setup(name, options)
    arrays = random_inputs(spec, cfg, seed=options["seed"])
    write_arrays(out, arrays)
    click.echo(f"wrote {out}: " + ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))


@main.command("run")
@click.argument("name", metavar="MODULE")
@_module_options
@_format_options
@click.option("--inputs", "inputs_file", required=True, type=click.Path(dir_okay=False),
              help="Inputs .npz (X; Y_hat, F0; Z_init, F0_1..F0_K as DESIGN section 5).")
@click.option("--backend", type=click.Choice(VALUE_BACKENDS), default="float64", show_default=True)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help=".npz file to write (array Y).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written, and the warnings, as one JSON object.")
@_reports_errors
def run_cmd(name, inputs_file, backend, out, as_json, **options):
    """Run a module on a backend directly: float64 (the math) or pbit (the
    exact p-bit emulation, inputs and weights rounded to the format first).
    Writes the output as one float64 array named Y.

    Warns (one line each on stderr; --json: the list "warnings") where the
    result does not show what went wrong: float64 operations that overflowed
    to inf or NaN, quotients 0/0 taken as 0 (e.g. a softmax whose
    exponentials all underflowed) or divisors that underflowed, NaN or inf
    in Y, and a layer norm over c < 3 channels."""
    _writable(out, inputs_file, options["weights_file"])
    spec, cfg, weights, _ = _module_setup(name, options)
    p, e = options["p"], options["e"]
    inputs = read_arrays(inputs_file, "input", spec.inputs(cfg))
    given_format = BACKENDS[backend].uses_format or p is not None or e is not None
    fmt = module_format(8 if p is None else p, e, options["method"]) if given_format else None
    B = value_backend(backend, fmt)
    y = B.values(run(spec, cfg, B, inputs, weights))
    write_arrays(out, {"Y": y})
    warnings = B.warnings
    non_finite = int(np.count_nonzero(~np.isfinite(y)))
    if non_finite:
        warnings.append(f"Y holds {non_finite:,} NaN or infinite entries of {y.size:,}")
    if as_json:
        click.echo(json.dumps({"module": name, "backend": backend, "output": str(out), "shape": list(y.shape),
                               **({"p": fmt.p, "e": fmt.e, "method": fmt.method} if fmt else {}),
                               "warnings": warnings}, indent=2))
        return
    shown = f", p={fmt.p} e={fmt.e}, {fmt.method} method" if fmt else ""
    click.echo(f"wrote {out}: Y {y.shape} ({backend}{shown})")
    _warn(warnings)


@main.command("gadgets")
@click.option("--p", "p", required=True, metavar="P[,P...]",
              help="Float significand bits p >= 2 (any word width). Several values: the p sweep.")
@click.option("--e", "e", type=int, default=None, help="Float exponent bits e >= 2 [default: p + 1]; one p only.")
@click.option("--method", type=click.Choice(METHOD_CHOICES), default=None,
              help="Algorithm of d_exp, d_sqrt, d_div at one p (auto: per gadget, the smaller) [default: table]; "
                   "the p sweep measures both.")
@click.option("--max-m-sum", type=int, default=256, show_default=True,
              help="Largest m of d_⊕(m), 2..256 (m = 2, 4, 8, ...).")
@click.option("--max-m-prod", type=int, default=32, show_default=True,
              help="Largest m of d_⊗(m), 2..32 (m = 2, 4, 8, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object (no progress bar).")
@click.pass_context
@_reports_errors
def gadgets_cmd(ctx, p, e, method, max_m_sum, max_m_prod, as_json):
    """Measure the paper's gadget depths for p-bit floats: d_std (the largest
    depth of float add, mul, lt), d_⊕(m) = float:sum for m = 2, 4, ..., 256,
    d_⊗(m) = float:prod for m = 2, 4, ..., 32, d_exp, d_sqrt and d_div, each
    with its size and edges, and the m from which d_⊕ and d_⊗ stop changing;
    every row also built with --optimize depth (columns depth*, size*).

    With several p (e = p + 1), the p sweep instead (DESIGN section 10): every
    float gadget, both methods of div, sqrt and exp, depth and size per p, the
    size's fitted exponent in p (log-log) and its bits of p per doubling
    (log-linear), and which method is polynomial in p.

    \b
    Examples:
      tc0 gadgets --p 8
      tc0 gadgets --p 8,16,32,48,64 --json
    """
    p_values = _int_list(p, "--p")
    if len(p_values) > 1:
        _refuse_options(ctx, ["e", "method", "max_m_sum", "max_m_prod"], "one p, not to the p sweep")
        with tqdm(total=precision_sweep.sweep_points(p_values), desc="p sweep", unit="circuit", disable=as_json,
                  leave=False) as bar:
            result = precision_sweep.precision_sweep(p_values, progress=bar)
        click.echo(json.dumps(_json_ready(result), indent=2) if as_json else precision_sweep.sweep_table(result))
        return
    (p,) = p_values
    plan = gadget_depths.gadget_plan(max_m_sum, max_m_prod)
    gadget_depths.table_format(p, e)  # bad --p/--e before any work
    with tqdm(total=len(plan), desc="building", unit="circuit", disable=as_json, leave=False) as bar:
        result = gadget_depths.gadget_depths(p, e, max_m_sum, max_m_prod, progress=bar, method=method)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(gadget_depths.depth_table(result))


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["bristol", "aiger", "blif"]), default=None,
              help="bristol, aiger (binary aig or ASCII aag) or blif [default: by the suffix: .aig/.aag aiger, "
                   ".blif blif, else bristol].")
@click.option("--max-wires", type=click.IntRange(min=1), default=BRISTOL_MAX_WIRES, show_default=True,
              help="Bristol: refuse files declaring more wires (inputs included), before reading their gates.")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="Circuit file to write.")
@_reports_errors
def import_cmd(file, fmt, max_wires, out):
    """Import a foreign circuit: Bristol Fashion (XOR/AND/INV/EQ/EQW/MAND),
    combinational AIGER (binary .aig or ASCII .aag, as ABC writes them) or
    flat combinational BLIF (.names covers, as ABC and Yosys write them).

    Bristol ports are named in0, in1, ... and out0, ...; XOR is lowered to the
    strict basis as (a OR b) AND NOT(a AND b). AIGER and BLIF ports come from
    the bit names where they spell port[i] (as tc0 export writes them), else
    x and y. Only regular files are read.

    \b
    Examples:
      tc0 import aes_128.txt -o aes.tc0
      tc0 import adder.aig -o adder.tc0
      tc0 import abc_out.blif -o mapped.tc0
    """
    _writable(out, file)
    fmt = fmt or IMPORT_SUFFIXES.get(Path(file).suffix, "bristol")
    readers = {"aiger": read_aiger, "blif": read_blif, "bristol": lambda f: read_bristol(f, max_wires)}
    circuit = readers[fmt](file)
    circuit.save(out)
    click.echo(measures.summary_line(circuit, Path(file).stem))


@main.command("export")
@click.argument("circuit", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@_reports_errors
def export_cmd(circuit, fmt, out):
    """Export a circuit: BLIF, structural Verilog (MAJ as a sum comparison),
    GraphML or DOT (small circuits, via networkx), Bristol (MAJ lowered), or
    AIGER, binary (aiger) or ASCII (aiger-ascii), lowered as for Bristol."""
    _writable(out, circuit)
    circ = _load(circuit)
    EXPORTERS[fmt](circ, out)
    click.echo(f"wrote {out} ({fmt})")


__all__ = ["main"]
