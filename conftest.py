"""Root pytest configuration, loaded before any test module imports numpy.

One BLAS thread: lecturekit's matrices are small, and on a 2-core machine
OpenBLAS's worker threads compete with each other (and with the notebook
kernels nbval starts, which inherit this environment), making small models
4-5x slower. Set before numpy is imported, so it takes effect.
"""

import gc
import os

import pytest  # imports no numpy

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


# ------------------------------------------------------------------ garbage collection
# Collection imports matplotlib, hypothesis, jupyter's schema validators and all of
# lecturekit: some 450 000 objects that live to the end of the run. Each full (oldest
# generation) collection walks all of them, about a second here, and collection alone
# triggered ~20 of them (9-10 s of a 27 s --collect-only). So the collector waits until
# collection is done (its garbage, tens of MB at most, is kept that long), collects once,
# and freezes the survivors (gc.freeze: moved to a generation it never walks). Objects the
# tests make are collected as usual; only the walks over the frozen ones are saved.
#
# The same again whenever a worker starts on tests of another file: what is alive then
# (each process's shared explorers, tests/strategies.py, about 9 000 objects each, and
# the renderers' caches) lives to the end of the run too. Without it a worker ran about
# 20 full collections at 0.2-0.45 s each (4-5 s of its CPU); with it the collections
# (100 or so short ones at the files' starts, and the collector's own) took 1.3-2 s, and
# the workers' peak memory was the same (430-480 MiB). What dies after being frozen is
# freed by its reference counts as before; only a cycle among such objects would stay.

_last_file = [None]  # the file of the last test this process set up


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.path != _last_file[0]:
        _last_file[0] = item.path
        gc.collect()
        gc.freeze()


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session):
    # around all of collection (on xdist's controller, which collects nothing, around nothing)
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()


# ------------------------------------------------------------------ the quick run
# `python -m pytest -m "not e2e"` (the README's quick run: every unit test, doctest and
# notebook, no browser or server; any -m that leaves out every e2e test) runs on two
# pytest-xdist workers, `-n 2 --dist loadgroup`, on a machine with two cores or more:
# 54-68 s against 96-107 s in one process (with tests/helper.py's process) on a 2-core
# machine whose load varies a lot from hour to hour (64-81 s on a slower one: README).
# The full run stays in one process: its browser tests would share the cores with the
# other worker's tests. `-n 0` runs the quick run in one process; naming files or
# folders, or `-n`, `--dist`, `--pdb` or `--collect-only`, leaves the choice to the
# command line.

QUICK_RUN_WORKERS = 2


def quick_run_workers(config):
    """How many xdist workers the run gets from this file (0: as the command line says)."""
    option = config.option
    if not config.pluginmanager.hasplugin("xdist"):  # (which adds the options read next)
        return 0
    if (hasattr(config, "workerinput") or option.numprocesses is not None
            or option.dist != "no" or option.tx or option.usepdb or option.collectonly
            or config.args_source is not pytest.Config.ArgsSource.TESTPATHS):
        return 0
    if not _deselects_e2e(option.markexpr or ""):
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return QUICK_RUN_WORKERS if (cores or 1) >= QUICK_RUN_WORKERS else 0


_WORKER_DIST = "lecturekit_dist"  # the controller's --dist, for a worker (see below)


def _deselects_e2e(markexpr):
    """Whether ``-m markexpr`` leaves out every e2e test, whatever its other marks."""
    if not markexpr.strip():
        return False
    try:
        from _pytest.mark.expression import Expression  # pytest's own parser of -m

        expression = Expression.compile(markexpr)
    except Exception:  # another pytest, or not an expression: pytest itself will say so
        return "not e2e" in " ".join(markexpr.split())
    # an e2e test with no other mark, and one with every other mark the expression names
    return not any(expression.evaluate(lambda name, /, others=others, **kw: name == "e2e" or others)
                   for others in (False, True))


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns numprocesses into workers
def pytest_cmdline_main(config):
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        # A worker parses the command line as typed, which has no --dist when the quick
        # run chose it here; xdist's worker setup reads the mode from that (its
        # `loadgroup` option, for the groups' node ids below), so it is set from the
        # controller's.
        if workerinput.get(_WORKER_DIST) == "loadgroup":
            config.option.loadgroup = True
        return
    workers = quick_run_workers(config)
    if workers:
        config.option.numprocesses = workers
        config.option.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True)  # xdist's hook, on the controller, for each worker it starts
def pytest_configure_node(node):
    node.workerinput[_WORKER_DIST] = node.config.option.dist


# ------------------------------------------------------------------ pytest-xdist
# With `-n 2 --dist loadgroup` (see pyproject's addopts) the tests run on 2 workers: a test without
# an xdist_group goes to whichever worker is free; the tests of one group run on one
# worker, in their collected order. The groups:
# - each notebook's nbval cells: they share one kernel and run in order;
# - every e2e test together: real servers, browsers and ports, one at a time, never two
#   at once (also their module-scoped chromium and lab fixtures are made once);
# - the tests parametrized by one explorer class: they share that class's explorer
#   (tests/strategies.shared_explorer, one per process), which costs a figure and a
#   first draw to make on each worker that needs it.

def xdist_group(nodeid, path, keywords, params):
    """The xdist group of a test (None: none, it may run anywhere).

    Parameters
    ----------
    nodeid : str
    path : pathlib.Path
        The item's file.
    keywords : container of str
        The names of its marks.
    params : iterable
        Its parametrized values (``item.callspec.params.values()``), empty if none; an
        explorer class among them, or in a tuple among them, groups it with that class.
    """
    if "e2e" in keywords:
        return "e2e"
    if path.suffix == ".ipynb":
        return f"notebook:{nodeid.partition('::')[0]}"
    for value in params:
        # a class, or a class in a tuple (test_explore_specifics' (cls, kwargs) variants)
        for candidate in value if isinstance(value, tuple) else (value,):
            if isinstance(candidate, type) and _is_explorer(candidate):
                return f"explorer:{candidate.__name__}"
    return None


def _is_explorer(cls):
    try:
        from lecturekit.explore._explorer import Explorer
    except ImportError:  # the grouping is an optimisation; without it, no group
        return False
    return issubclass(cls, Explorer)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    # xdist (3.8) tells the scheduler a test's group by appending "@group" to its node id,
    # which on a worker it does by setting item._nodeid. pytest 9.2 keeps the id in
    # item._id, and the assignment is lost: every test is scheduled on its own, groups
    # and their order ignored, silently (pytest-xdist issue 1386). So on such a pytest
    # the suffix is set here, as xdist means it (the hook after this one then sets an
    # _nodeid nothing reads); with an older pytest, xdist sets it itself.
    loadgroup = config.getoption("loadgroup", False)  # an xdist worker under --dist loadgroup
    for item in items:
        callspec = getattr(item, "callspec", None)
        group = xdist_group(item.nodeid, item.path, {m.name for m in item.iter_markers()},
                            callspec.params.values() if callspec is not None else ())
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
            if loadgroup and hasattr(item, "_id"):
                item._id = type(item._id).parse(f"{item.nodeid}@{group}")

