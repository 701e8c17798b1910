"""Run a benchmark grid: cells isolated with time and memory limits, results appended atomically, resumable.

Flow (driver = the process that calls :func:`run_bench`)::

    spec --load_spec (the whole spec validated)--> cells --joblib (loky | dask | ray)--> run_cell(cell) in a worker
         worker: hands the cell to its forked cell process (time limit: killed; memory limit: RLIMIT_AS),
                 which builds the data, warms the method up (untimed, once per process), fits and scores
                 (see run_cell for the isolation modes, warm_up for the warm-up)
         driver: each record -> DIR/parts/<cell_id>.parquet (atomic), DIR/results.parquet rewritten atomically

Inside a cell, an estimator's own joblib parallelism runs on threads whatever the backend (the worker's joblib
backend does not leak into the cell). Workers this run started (loky, an embedded ``LocalCluster``, a local Ray)
and every cell process exit within a second when their parent dies, so a SIGKILLed run leaves no process
computing (:func:`exit_with_parent`).

Guarantees: a failing, crashing or timed-out cell becomes a row with ``status`` ``"error"``/``"timeout"``/
``"crashed"`` and its message; the run goes on. Every part file is written to a temporary name and renamed,
so a killed run leaves only whole part files; ``resume=True`` skips cells whose part file exists, so no row is
lost or duplicated. The consolidated ``results.parquet`` (and ``results.csv`` on request) holds one row per cell
of the spec, in grid order.

Backends (all through joblib, so the same function runs everywhere):

* ``"local"``: loky worker processes on this machine (default; nothing to start).
* ``"dask"``: an existing cluster (``scheduler="tcp://host:port"``) or an embedded ``LocalCluster`` with
  ``n_jobs`` single-threaded worker processes; joblib's dask backend.
* ``"ray"``: ``ray.init(address)`` (a running cluster) or a local Ray instance; ``ray.util.joblib.register_ray``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from scorecause.bench.spec import Cell, load_spec
from scorecause.errors import ConfigError, require

#: columns that depend on the machine or the moment, not on the computation (excluded when comparing runs)
TIMING_COLUMNS = ("data_time_s", "warmup_time_s", "fit_time_s", "total_time_s", "cpu_time_s", "max_rss_mb",
                  "worker", "finished_at")
BACKENDS = ("local", "dask", "ray")
RESULTS = "results.parquet"
PARTS = "parts"


# ------------------------------------------------------------------------------------------------
# one cell (runs in a worker)
# ------------------------------------------------------------------------------------------------
def load_cell_dataset(cfg: dict):
    """Build the :class:`~scorecause.data.Dataset` of a cell's dataset config (a pure function of ``cfg``).

    ``simulate``: ``scorecause.simulate.simulate(preset, d=, n=, rng=default_rng(seed), **params)``;
    ``real``: ``scorecause.datasets.load_<name>(**params)``; ``file``: :meth:`Dataset.from_file` plus the
    truth graph (``A[i, j] = 1`` means ``i -> j``) when given.
    """
    from scorecause.data import Dataset

    source = cfg["source"]
    if source == "simulate":
        from scorecause.simulate import simulate

        kw = dict(cfg["params"])
        if cfg.get("n_interventional"):
            kw["n_interventional"] = cfg["n_interventional"]
        ds = simulate(cfg["preset"], d=cfg["d"], n=cfg["n"], rng=np.random.default_rng(cfg["seed"]), **kw)
    elif source == "real":
        import scorecause.datasets as datasets

        loader = getattr(datasets, f"load_{cfg['name']}", None)
        if loader is None:
            raise ConfigError(f"no bundled dataset {cfg['name']!r}; scorecause.datasets has no load_{cfg['name']}")
        ds = loader(**cfg["params"])
    elif source == "file":
        ds = Dataset.from_file(cfg["path"], **cfg["params"])
        if cfg.get("truth"):
            ds.truth = _read_truth(cfg["truth"], ds.names)
    else:  # pragma: no cover - the spec parser admits only the three sources
        raise ConfigError(f"unknown dataset source {source!r}")
    if cfg.get("standardize"):
        ds = ds.standardized()
    return ds


def _read_truth(path: str, names: list[str]) -> np.ndarray:
    """True graph from a file (any format :func:`scorecause.graph.read_graph` reads), reordered to ``names``."""
    from scorecause import graph

    A, gnames, _ = graph.read_graph(path)
    A = graph.as_adjacency(A, name=f"truth graph {path!r}")
    if gnames is not None and list(gnames) != list(names):
        missing = sorted(set(names) - set(gnames))
        if missing:
            raise ConfigError(f"truth graph {path!r} lacks variable(s) {missing}")
        idx = [list(gnames).index(v) for v in names]
        A = A[np.ix_(idx, idx)]
    return A


def _method_class(cell: Cell):
    import importlib

    module, _, attr = cell.target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _make_estimator(cell: Cell):
    cls = _method_class(cell)
    params = dict(cell.params)
    if "random_state" in cls._get_param_names() and "random_state" not in params:
        params["random_state"] = cell.dataset["seed"]  # stochastic methods: seeded by the cell's seed
    return cls(**params)


def calibration_bins(truth: np.ndarray, probs: np.ndarray, n_bins: int = 10) -> dict:
    """Reliability-diagram counts over off-diagonal cells: per equal-width bin, count, positives, sum of p.

    ``truth[i, j] = 1`` means ``i -> j``; ``probs`` has the same orientation. Summed over cells by the report.
    """
    off = ~np.eye(truth.shape[0], dtype=bool)
    p = np.clip(np.asarray(probs, dtype=float)[off], 0.0, 1.0)
    y = (np.asarray(truth)[off] != 0).astype(float)
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    return {"count": np.bincount(b, minlength=n_bins).tolist(),
            "positive": np.bincount(b, weights=y, minlength=n_bins).tolist(),
            "psum": np.bincount(b, weights=p, minlength=n_bins).tolist()}


def _score(truth, est, metrics) -> tuple[dict, dict]:
    """Each metric separately, so one undefined metric (e.g. SID on a CPDAG) does not void the others."""
    from scorecause.metrics import evaluate

    values, errors = {}, {}
    probs = getattr(est, "edge_probs_", None)
    order = getattr(est, "order_", None)
    for m in metrics:
        try:
            values[m] = float(evaluate(truth, est.adjacency_, metrics=[m], edge_probs=probs, order=order)[m])
        except Exception as exc:  # noqa: BLE001 - recorded in the row, never stops the run
            values[m] = float("nan")
            errors[m] = f"{type(exc).__name__}: {exc}"
    return values, errors


_THREADS_SET: list = []  # the thread cap already applied in this process (set once per worker)


def limit_threads(threads: int | None) -> None:
    """Cap BLAS/OpenMP/torch threads in this process (fair timing when cells run side by side).

    Applied once per worker process, before any cell is forked, so every child inherits the cap and pays
    nothing for it. ``None`` leaves the libraries' defaults.
    """
    if threads is None or _THREADS_SET == [threads]:
        return
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)  # for libraries loaded later (torch reads it on import)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)  # libraries already loaded (numpy's BLAS)
    _THREADS_SET[:] = [threads]


#: rows of the cell's data the untimed warm-up fit sees (a strided subset, so environments keep their shares)
WARMUP_ROWS = 100
_WARMED: set = set()  # (method target, params) already warmed up in this process


def warm_up(cell: Cell, ds) -> float:
    """Fit the cell's method once, untimed, on a small subset of its data; the seconds it took (0 when warm).

    The first fit of a method in a process pays one-off costs (lazy imports, caches, torch/BLAS kernel set-up;
    about 1 s for PC against 0.01 s for the next fit). The warm-up pays them outside ``fit_time_s``: once per
    method (class and hyperparameters) per process that runs cells, i.e. once per long-lived cell process
    (``"process"`` isolation), per fresh cell process (``"fork"``) or per worker (``"none"``). Its time is
    recorded in ``warmup_time_s``; a failing warm-up is ignored (the timed fit reports the failure).
    It runs in the cell's process, never in the worker before a fork: a thread pool started there
    (OpenMP, torch) would not survive the fork.
    """
    key = (cell.target, json.dumps(cell.params, sort_keys=True, default=str))
    if not cell.warmup or key in _WARMED:
        return 0.0
    _WARMED.add(key)
    t0 = time.perf_counter()
    with contextlib.suppress(Exception):
        step = max(1, ds.n // WARMUP_ROWS)
        _make_estimator(cell).fit(ds.subset(np.arange(0, ds.n, step)) if step > 1 else ds)
    return time.perf_counter() - t0


def execute_cell(cell: Cell) -> dict:
    """Run one cell in this process: build data, warm up, fit, score. Returns the record; failures are records.

    The estimator's own joblib parallelism (its ``n_jobs``) runs on threads inside the cell, on every backend:
    a worker's active joblib backend would otherwise leak into the cell (joblib's Dask backend sends nested
    calls back to the cluster through the worker's client, which deadlocks in a forked cell process).
    """
    import joblib

    t0, c0 = time.perf_counter(), time.process_time()
    rec = _base_record(cell)
    warmup = warmup_cpu = 0.0
    try:
        with joblib.parallel_config(backend="threading"):
            limit_threads(cell.threads)
            ds = load_cell_dataset(cell.dataset)
            est = _make_estimator(cell)
            rec["data_time_s"] = time.perf_counter() - t0
            rec["d"], rec["n"] = int(ds.d), int(ds.n)
            w0 = time.process_time()
            rec["warmup_time_s"] = warmup = warm_up(cell, ds)
            warmup_cpu = time.process_time() - w0
            t1 = time.perf_counter()
            est.fit(ds)
            rec["fit_time_s"] = time.perf_counter() - t1
        rec["n_edges_pred"] = int(est.adjacency_.sum())
        if ds.truth is not None:
            rec["n_edges_true"] = int(ds.truth.sum())
            values, errors = _score(ds.truth, est, cell.metrics)
            rec.update(values)
            if errors:
                rec["metric_errors"] = json.dumps(errors)
            if getattr(est, "edge_probs_", None) is not None:
                rec["calibration"] = json.dumps(calibration_bins(ds.truth, est.edge_probs_))
        rec["status"] = "ok"
    except MemoryError:
        rec["status"], rec["error"] = "error", "MemoryError: the cell exceeded its memory_limit"
    except Exception as exc:  # noqa: BLE001 - any failure is a row, never the end of the run
        import traceback

        rec["status"], rec["error"] = "error", f"{type(exc).__name__}: {exc}"
        rec["traceback"] = "".join(traceback.format_exception(exc, limit=-4))
    rec["total_time_s"] = time.perf_counter() - t0 - warmup  # data + fit + scoring, without the warm-up
    rec["cpu_time_s"] = time.process_time() - c0 - warmup_cpu  # all threads of the cell's process, no warm-up
    with contextlib.suppress(Exception):
        import resource

        rec["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return rec


def _base_record(cell: Cell) -> dict:
    ds = cell.dataset
    rec = {"cell_id": cell.id, "index": cell.index, "dataset": cell.dataset_label, "source": ds["source"],
           "preset": ds.get("preset") or ds.get("name") or ds.get("path"), "d": ds.get("d"), "n": ds.get("n"),
           "seed": ds["seed"], "method": cell.method_label, "method_name": cell.method,
           "params": json.dumps(cell.params, sort_keys=True), "status": "error", "error": None}
    for m in cell.metrics:
        rec[m] = float("nan")
    rec.update(n_edges_true=None, n_edges_pred=None, metric_errors=None, calibration=None, traceback=None,
               data_time_s=float("nan"), warmup_time_s=float("nan"), fit_time_s=float("nan"),
               total_time_s=float("nan"), cpu_time_s=float("nan"), max_rss_mb=float("nan"),
               worker=_WORKER[0] if _WORKER else f"{socket.gethostname()}:{os.getpid()}")
    return rec


_WORKER: list = []  # "host:pid" of the worker process, set before forking so cell records name the worker


def _fork_available() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


ISOLATION = ("process", "fork", "none")


def run_cell(cell: Cell, isolate="process", watch_parent: bool = False) -> dict:
    """Run ``cell`` with its time and memory limits; the entry point each backend worker calls.

    ``isolate`` (POSIX; ``True`` means ``"process"``, ``False`` ``"none"``):

    * ``"process"`` (default): the worker forks one long-lived *cell process* that runs its cells one after
      another (cheap per cell). At a time-out its process group is killed (``status="timeout"``) and a fresh
      one is forked for the next cell; a crash (segfault, OOM kill) becomes ``status="crashed"``; the memory
      limit is an ``RLIMIT_AS`` of the cell process.
    * ``"fork"``: a fresh forked process per cell (nothing carries over between cells; ~0.03-0.1 s per cell,
      growing with the worker's memory).
    * ``"none"``: in the worker itself; the time limit is ``SIGALRM`` (main thread only), no memory limit, and
      a crash takes the worker (and, with joblib, the run) down.

    ``watch_parent``: the worker was started by this run (loky workers, an embedded Dask ``LocalCluster``, a
    local Ray instance), so it exits when its parent dies (see :func:`exit_with_parent`). Cell processes
    always exit with their worker.
    """
    mode = {True: "process", False: "none"}.get(isolate, isolate)
    if mode not in ISOLATION:
        raise ConfigError(f"isolate must be one of {ISOLATION}, got {isolate!r}")
    if watch_parent:
        exit_with_parent()
    if mode != "none" and _fork_available():
        limit_threads(cell.threads)
        _WORKER[:] = [f"{socket.gethostname()}:{os.getpid()}"]
        rec = _run_forked(cell) if mode == "fork" else _run_in_cell_process(cell)
    else:
        rec = _run_inline(cell)
    rec["finished_at"] = pd.Timestamp.now(tz="UTC").isoformat()
    return rec


_WATCHED: list = []  # the pid of this process once its parent watchdog runs (a forked child starts its own)
PARENT_POLL_S = 0.2


def exit_with_parent(parent: int | None = None) -> None:
    """Make this process exit within a fraction of a second when its parent process dies.

    A SIGKILLed ``bench`` cannot stop its workers; without this they (and the cells they run, often GBs)
    would run on for minutes. A daemon thread polls ``os.getppid()`` (portable, and unlike Linux's
    ``PR_SET_PDEATHSIG`` not tied to the parent *thread* that started the process) and, once the parent is
    gone, kills this process -- with its whole process group when it leads one (a cell process and anything
    it started). ``parent``: the pid to outlive (default: the current parent; a forked child passes the pid
    its parent had before the fork, so a parent that died in between is noticed). Idempotent per process.
    """
    pid = os.getpid()
    if _WATCHED == [pid]:
        return
    _WATCHED[:] = [pid]
    parent = os.getppid() if parent is None else parent

    def watch():
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        with contextlib.suppress(OSError):
            if os.getpgid(0) == pid:
                os.killpg(pid, signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="scorecause-exit-with-parent", daemon=True).start()


def _preload(cell: Cell) -> None:
    """Import, in the long-lived worker, the modules the cell will need, so the child forked next inherits them.

    Without this every child would pay the imports again (causal-learn alone takes seconds). Estimator classes
    may list the modules their ``_fit`` imports lazily in a ``lazy_imports`` tuple. Import errors are left to
    the cell, which records them.
    """
    import importlib

    names = ["scorecause.metrics", "scorecause.graph", "scorecause.data", "threadpoolctl"]
    names += {"simulate": ["scorecause.simulate"], "real": ["scorecause.datasets"]}.get(cell.dataset["source"], [])
    with contextlib.suppress(Exception):
        names += list(getattr(_method_class(cell), "lazy_imports", ()))
    for name in names:
        if name not in sys.modules:
            with contextlib.suppress(Exception):
                importlib.import_module(name)


class _CellTimeout(BaseException):
    """Raised inside an inline cell by the alarm signal when its time limit is reached."""


def _run_inline(cell: Cell) -> dict:
    use_alarm = cell.time_limit and hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not use_alarm:
        return execute_cell(cell)

    def _raise(signum, frame):
        raise _CellTimeout

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, float(cell.time_limit))
    t0 = time.perf_counter()
    try:
        return execute_cell(cell)
    except _CellTimeout:
        rec = _base_record(cell)
        rec.update(status="timeout", error=f"time limit of {cell.time_limit} s exceeded",
                   total_time_s=time.perf_counter() - t0)
        return rec
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _die_with_parent(parent: int) -> None:
    """In a freshly forked cell process: exit when the worker dies (Linux: at once, by ``PR_SET_PDEATHSIG``;
    everywhere: within :data:`PARENT_POLL_S` by :func:`exit_with_parent`). Called before the memory limit."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    exit_with_parent(parent)


def _failed_record(cell: Cell, status: str, error: str, t0: float) -> dict:
    rec = _base_record(cell)
    rec.update(status=status, error=error, total_time_s=time.perf_counter() - t0)
    return rec


def _death_message(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return f"cell process died: killed by signal {sig}" + (" (out of memory?)" if sig == signal.SIGKILL else "")
    return f"cell process died: exit status {os.WEXITSTATUS(status)}"


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd: int, deadline: float | None):
    """One length-prefixed pickle from ``fd``; None at EOF; raises TimeoutError past ``deadline``."""
    import select

    buf = b""
    need = 8
    size = None
    while len(buf) < need:
        wait = None if deadline is None else max(0.0, deadline - time.perf_counter())
        if not select.select([fd], [], [], wait)[0]:
            raise TimeoutError
        chunk = os.read(fd, max(need - len(buf), 1 << 16))
        if not chunk:
            return None
        buf += chunk
        if size is None and len(buf) >= 8:
            size = int.from_bytes(buf[:8], "little")
            need = 8 + size
    return pickle.loads(buf[8:need])


class _CellProcess:
    """A child forked from the worker that runs cells sent over a pipe, one after another.

    Forked once (so it inherits the worker's imports), killed and replaced after a time-out or a crash.
    Its memory limit (``RLIMIT_AS``) is set at fork time; a cell with another limit gets a new process.
    """

    def __init__(self, memory_limit: int | None):
        self.memory_limit = memory_limit
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        worker = os.getpid()
        pid = os.fork()
        if pid == 0:  # --------------------------------------------------------------------- child
            code = 0
            try:
                os.close(from_parent)
                os.close(to_parent)
                with contextlib.suppress(OSError):
                    os.setpgid(0, 0)
                _die_with_parent(worker)
                if memory_limit:
                    import resource

                    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
                while True:
                    cell = _recv(to_child, None)
                    if cell is None:  # the worker closed the pipe
                        break
                    _send(from_child, execute_cell(cell))
            except BaseException:  # noqa: BLE001 - the parent sees EOF and records a crash
                code = 1
            finally:
                os._exit(code)
        os.close(to_child)
        os.close(from_child)
        self.pid, self.send_fd, self.recv_fd = pid, from_parent, to_parent
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)

    def run(self, cell: Cell) -> tuple[dict | None, str | None]:
        """``(record, None)``, or ``(None, "timeout" | death message)`` after which this process is gone."""
        deadline = None if not cell.time_limit else time.perf_counter() + float(cell.time_limit)
        try:
            _send(self.send_fd, cell)
            rec = _recv(self.recv_fd, deadline)
        except TimeoutError:
            self.close(kill=True)
            return None, "timeout"
        except OSError:  # broken pipe: it died before reading
            rec = None
        if rec is None:
            return None, _death_message(self.close(kill=True))
        return rec, None

    def close(self, kill: bool = False) -> int:
        for fd in (self.send_fd, self.recv_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if kill:
            for k in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
                with contextlib.suppress(OSError):
                    k()
        try:
            return os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            return 0


_LOCAL = threading.local()  # the cell process of each worker thread


def _run_in_cell_process(cell: Cell) -> dict:
    local = _LOCAL
    proc = getattr(local, "proc", None)
    if proc is not None and proc.memory_limit != cell.memory_limit:
        proc.close()
        proc = None
    if proc is None:
        _preload(cell)  # imports a running cell process lacks are its own (preloading then would be wasted)
        proc = local.proc = _CellProcess(cell.memory_limit)
    t0 = time.perf_counter()
    rec, failure = proc.run(cell)
    if failure is None:
        return rec
    local.proc = None
    if failure == "timeout":
        return _failed_record(cell, "timeout", f"time limit of {cell.time_limit} s exceeded; the cell was killed", t0)
    return _failed_record(cell, "crashed", failure, t0)


def _run_forked(cell: Cell) -> dict:
    import select

    _preload(cell)
    r, w = os.pipe()
    t0 = time.perf_counter()
    worker = os.getpid()
    pid = os.fork()
    if pid == 0:  # ------------------------------------------------------------- child
        code = 0
        try:
            os.close(r)
            with contextlib.suppress(OSError):
                os.setpgid(0, 0)
            _die_with_parent(worker)
            if cell.memory_limit:
                import resource

                resource.setrlimit(resource.RLIMIT_AS, (cell.memory_limit, cell.memory_limit))
            payload = pickle.dumps(execute_cell(cell))
            with os.fdopen(w, "wb") as f:
                f.write(payload)
        except BaseException:  # noqa: BLE001 - the parent records the crash from the exit status
            code = 1
        finally:
            os._exit(code)
    # --------------------------------------------------------------------------- parent
    os.close(w)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    chunks, timed_out = [], False
    deadline = None if not cell.time_limit else t0 + float(cell.time_limit)
    try:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.perf_counter())
            ready, _, _ = select.select([r], [], [], wait)
            if not ready:
                timed_out = True
                break
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        if timed_out:
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                with contextlib.suppress(OSError):
                    kill()
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return _failed_record(cell, "timeout", f"time limit of {cell.time_limit} s exceeded; the cell was killed", t0)
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - nothing (or half a record) came back: the child died
        return _failed_record(cell, "crashed", _death_message(status), t0)


# ------------------------------------------------------------------------------------------------
# results on disk
# ------------------------------------------------------------------------------------------------
def _part_path(out: Path, cell_id: str) -> Path:
    return out / PARTS / f"{cell_id}.parquet"


def write_part(out: Path, rec: dict) -> Path:
    """One cell's record as ``DIR/parts/<cell_id>.parquet``, written atomically."""
    from scorecause.fileio import atomic_path

    path = _part_path(out, rec["cell_id"])
    with atomic_path(path) as tmp:
        pd.DataFrame([rec]).to_parquet(tmp, index=False)
    return path


def read_parts(out) -> pd.DataFrame:
    """Every finished cell's record in ``DIR/parts`` (temporary files of a killed run are ignored).

    Rows already in ``results.parquet`` are taken from it, so only part files written since the last
    consolidation are opened. An unreadable part file (e.g. a full disk) counts as not finished, with a warning.
    """
    import warnings

    out = Path(out)
    folder = out / PARTS
    files = {f.stem: f for f in folder.glob("*.parquet")} if folder.exists() else {}
    if not files:
        return pd.DataFrame()
    frames = []
    if (out / RESULTS).exists():
        with contextlib.suppress(Exception):
            table = pd.read_parquet(out / RESULTS)
            table = table[table["cell_id"].isin(files.keys())]
            frames.append(table)
            for cid in table["cell_id"]:
                files.pop(cid, None)
    for _, f in sorted(files.items()):
        try:
            frames.append(pd.read_parquet(f))
        except Exception as exc:  # noqa: BLE001 - such a cell is simply run again
            warnings.warn(f"unreadable result part {str(f)!r} ({exc}); the cell will run again", stacklevel=2)
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def consolidate(out, records: list[dict], *, csv: bool = False) -> pd.DataFrame:
    """Rewrite ``DIR/results.parquet`` (and ``results.csv``) atomically from ``records``, in grid order."""
    from scorecause.fileio import atomic_path

    out = Path(out)
    df = pd.DataFrame(records)
    if len(df):
        df = df.sort_values("index", kind="stable").reset_index(drop=True)
    with atomic_path(out / RESULTS) as tmp:
        df.to_parquet(tmp, index=False)
    if csv:
        with atomic_path(out / "results.csv") as tmp:
            df.to_csv(tmp, index=False)
    return df


def load_results(out) -> pd.DataFrame:
    """The results table of a benchmark folder (``results.parquet``; the part files if it is missing)."""
    out = Path(out)
    if (out / RESULTS).exists():
        return pd.read_parquet(out / RESULTS)
    df = read_parts(out)
    if df.empty:
        raise ConfigError(f"{str(out)!r} holds no benchmark results (no {RESULTS} and no parts/*.parquet)")
    return df.sort_values("index", kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# backends
# ------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def backend_context(backend: str = "local", n_jobs: int = 1, *, scheduler: str | None = None,
                    address: str | None = None):
    """Yield ``(n_jobs, own_workers)``: the ``n_jobs`` for ``joblib.Parallel`` inside the chosen joblib backend,
    and whether this run started the workers (then they exit with it, see :func:`exit_with_parent`).

    ``local``: loky with ``n_jobs`` processes. ``dask``: ``Client(scheduler)`` or an embedded
    ``LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True)``. ``ray``: ``ray.init(address)``
    or a local instance with ``n_jobs`` CPUs, through ``ray.util.joblib.register_ray()``.
    """
    import joblib

    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if n_jobs is None or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    if backend == "local":
        with joblib.parallel_config(backend="loky", n_jobs=n_jobs):
            yield n_jobs, True
    elif backend == "dask":
        distributed = require("distributed", "distributed")
        cluster = None
        if scheduler:
            client = distributed.Client(scheduler)
        else:
            workers = os.cpu_count() if n_jobs == -1 else n_jobs
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None)
            client = distributed.Client(cluster)
        try:
            with joblib.parallel_config(backend="dask"):
                yield -1, cluster is not None
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        ray = require("ray", "ray")
        from ray.util.joblib import register_ray

        started = not ray.is_initialized()
        if started:
            kw = {"address": address} if address else {"num_cpus": os.cpu_count() if n_jobs == -1 else n_jobs}
            ray.init(include_dashboard=False, log_to_driver=False, **kw)
        register_ray()
        try:
            with joblib.parallel_config(backend="ray"):
                yield (-1 if address else n_jobs), started and not address
        finally:
            if started:
                ray.shutdown()


# ------------------------------------------------------------------------------------------------
# the driver
# ------------------------------------------------------------------------------------------------
def run_bench(spec, out, *, backend: str = "local", n_jobs: int = 1, scheduler: str | None = None,
              address: str | None = None, resume: bool = False, retry_failed: bool = False, csv: bool = False,
              progress: bool = True, isolate="process", flush_every: float = 2.0) -> pd.DataFrame:
    """Run every cell of ``spec`` (path, mapping or :class:`BenchSpec`) and write results under ``out``.

    Parameters
    ----------
    spec : path, dict or BenchSpec
    out : path -- results folder: ``parts/<cell_id>.parquet`` per cell, ``results.parquet`` (+ ``.csv``)
    backend : {"local", "dask", "ray"}
    n_jobs : int -- local worker processes, or LocalCluster workers / local Ray CPUs (-1: all cores)
    scheduler : str -- ``tcp://host:port`` of a running Dask scheduler (backend "dask")
    address : str -- address of a running Ray cluster (backend "ray"; ``"auto"`` to find a local one)
    resume : bool -- continue a run in ``out``: cells with a part file are skipped
    retry_failed : bool -- with ``resume``, run again the cells whose status is not ``"ok"``
    csv : bool -- also write ``results.csv``
    isolate : {"process", "fork", "none"} -- how cells are isolated from the worker (see :func:`run_cell`)
    flush_every : float -- seconds between rewrites of the consolidated table while running

    Returns
    -------
    DataFrame -- one row per cell, in grid order (also in ``out/results.parquet``).
    """
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    if {True: "process", False: "none"}.get(isolate, isolate) not in ISOLATION:
        raise ConfigError(f"isolate must be one of {', '.join(ISOLATION)}, got {isolate!r}")
    if scheduler and backend != "dask":
        raise ConfigError(f"--scheduler is a Dask scheduler address; use it with backend 'dask', not {backend!r}")
    if address and backend != "ray":
        raise ConfigError(f"--address is a Ray cluster address; use it with backend 'ray', not {backend!r}")
    spec = load_spec(spec)
    out = Path(out)
    cells = spec.cells()
    ids = {c.id for c in cells}
    existing = read_parts(out)
    if len(existing) and not resume:
        raise ConfigError(f"{str(out)!r} already holds results of {len(existing)} cell(s); pass --resume "
                          "(resume=True) to continue that run, or choose a new output folder")
    from scorecause.fileio import atomic_write_text

    atomic_write_text(out / "spec.json", json.dumps(
        {"name": spec.name, "source": spec.source, "spec": spec.raw, "n_cells": len(cells)}, indent=2, default=str))
    done = {}
    if len(existing):
        for rec in existing.to_dict("records"):
            if rec["cell_id"] in ids and not (retry_failed and rec["status"] != "ok"):
                done[rec["cell_id"]] = rec
    # the grid position may move when a spec is edited: refresh it from the current spec
    index = {c.id: c.index for c in cells}
    for rec in done.values():
        rec["index"] = index[rec["cell_id"]]
    pending = [c for c in cells if c.id not in done]
    records = list(done.values())
    consolidate(out, records, csv=csv)
    if pending:
        records = _drive(pending, out, records, backend=backend, n_jobs=n_jobs, scheduler=scheduler,
                         address=address, csv=csv, progress=progress, isolate=isolate, flush_every=flush_every,
                         n_total=len(cells))
    return consolidate(out, records, csv=csv)


def _results_as_completed(pending, jobs, isolate, watch_parent=False):
    """Yield records as cells finish, in the active joblib backend.

    Backends that cannot stream results (joblib's Ray backend derives from the multiprocessing one, which
    has no ``return_as="generator"``) run in chunks of ``4 x workers`` cells: each chunk's records are
    yielded (and written) when the chunk completes, so a killed run loses at most one chunk's work.
    """
    from joblib import Parallel, delayed, effective_n_jobs

    try:
        parallel = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1)
    except ValueError:  # no streaming in this backend
        parallel = Parallel(n_jobs=jobs, batch_size=1)
        size = 4 * max(1, effective_n_jobs(jobs))
        for start in range(0, len(pending), size):
            yield from parallel(delayed(run_cell)(c, isolate, watch_parent) for c in pending[start:start + size])
        return
    yield from parallel(delayed(run_cell)(c, isolate, watch_parent) for c in pending)


def _drive(pending, out, records, *, backend, n_jobs, scheduler, address, csv, progress, isolate, flush_every,
           n_total):
    from tqdm.auto import tqdm

    bar = tqdm(total=n_total, initial=n_total - len(pending), unit="cell", disable=not progress,
               desc="bench", dynamic_ncols=True)
    last_flush = time.monotonic()
    failed = 0
    try:
        with backend_context(backend, n_jobs, scheduler=scheduler, address=address) as (jobs, own_workers):
            for rec in _results_as_completed(pending, jobs, isolate, own_workers):
                write_part(out, rec)
                records.append(rec)
                failed += rec["status"] != "ok"
                bar.update(1)
                if failed:
                    bar.set_postfix(failed=failed)
                if time.monotonic() - last_flush > flush_every:
                    consolidate(out, records, csv=csv)
                    last_flush = time.monotonic()
    finally:
        bar.close()
        consolidate(out, records, csv=csv)
    return records
