"""Where pieces run (tc0/cluster.py): results identical in this process, on a
local Dask cluster, and on an external scheduler started here; an unreachable
scheduler and a worker killed mid-run give a clear error or a retried task."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import fails, ok

from tc0.cluster import Runner, open_runner
from tc0.errors import ClusterError
from tc0.models.module import make_config, random_inputs, random_weights
from tc0.models.registry import get_module
from tc0.models.streamed import stream_module
from tc0.numerics import FloatFormat

FMT = FloatFormat(8, 9)
DASK = Path(sys.executable).with_name("dask")


def _streamed(runner, name="attention", n=2, samples=2, **kw):
    spec = get_module(name)
    cfg = make_config(spec, n=n, c=2)
    weights = random_weights(spec, cfg)
    cases = [random_inputs(spec, cfg, 0, "cases", k) for k in range(samples)]
    return stream_module(spec, cfg, FMT, weights, runner, cases=cases, piece_gates=60_000, **kw)


def _same(a, b):
    assert (a.size, a.edges, a.depth, a.pieces, a.scope_sizes) == (b.size, b.edges, b.depth, b.pieces, b.scope_sizes)
    assert np.array_equal(a.output_words, b.output_words) and np.array_equal(a.output_level, b.output_level)


@pytest.fixture(scope="module")
def in_process():
    return _streamed(Runner())


def test_one_worker_runs_in_this_process():
    with open_runner(workers=1) as runner:
        assert type(runner) is Runner and runner.workers == 1


@pytest.mark.parametrize("workers", [0, -2])
def test_bad_worker_counts_are_refused(workers):
    with pytest.raises(ClusterError, match="workers must be >= 1"), open_runner(workers=workers):
        pass


def test_local_cluster_gives_identical_results(in_process):
    with open_runner(workers=2) as runner:
        assert runner.workers == 2
        _same(_streamed(runner), in_process)
    assert in_process.mismatches == []


@pytest.fixture()
def external_cluster(tmp_path):
    """A ``dask scheduler`` and two ``dask worker`` processes (no nanny: a killed one stays dead)."""
    info = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen([DASK, "scheduler", "--scheduler-file", info, "--port", "0", "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        for _ in range(2):
            procs.append(subprocess.Popen([DASK, "worker", "--scheduler-file", info, "--nthreads", "1", "--no-nanny",
                                           "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          env=env))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, procs[1:]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_external_scheduler_gives_identical_results(external_cluster, in_process):
    address, _ = external_cluster
    with open_runner(scheduler=address) as runner:
        assert runner.workers == 2
        _same(_streamed(runner), in_process)


def test_cli_measure_on_external_scheduler(external_cluster):
    address, _ = external_cluster
    args = ("measure", "attention", "--n", 2, "--json")
    there = json.loads(ok(*args, "--scheduler", address).output)
    here = json.loads(ok(*args, "--workers", 1).output)
    for key in ("size", "depth", "edges", "pieces", "scopes"):
        assert there[key] == here[key], key
    assert there["workers"] == 2 and here["workers"] == 1


def test_a_killed_worker_is_retried(external_cluster, in_process):
    """Kill one of the two workers as soon as a piece finishes: its tasks rerun on the other."""
    address, workers = external_cluster
    killed = []

    def kill_one(done, total):
        if not killed:
            workers[0].send_signal(signal.SIGKILL)
            killed.append(done)

    with open_runner(scheduler=address) as runner:
        result = _streamed(runner, progress=kill_one)
    assert killed and workers[0].wait(timeout=10) == -signal.SIGKILL
    _same(result, in_process)


def test_unreachable_scheduler_is_a_clear_error():
    start = time.monotonic()
    line = fails("measure", "matmul", "--scheduler", "tcp://127.0.0.1:9", needles=("--scheduler", "127.0.0.1:9"))
    assert "cannot reach the Dask" in line and time.monotonic() - start < 30


def test_workers_and_scheduler_together_are_refused():
    fails("measure", "matmul", "--workers", 2, "--scheduler", "tcp://127.0.0.1:9", needles=("--workers", "--scheduler"))
