"""A pytest plugin loaded before every other one (``-p tests.startup_plugin`` in addopts).

Three savings in the start, the middle and the end of every run, each measured on the
quick run.

**No IRI grammar at start-up.** pytest imports the plugins named by ``-p`` before the
installed ones (entry points, such as nbval's), so this module runs before nbval's import
chain: nbval -> nbformat -> jsonschema, whose format checkers import ``rfc3987_syntax`` if
it is installed (jupyter-events asks for it). That package builds a Lark parser of the IRI
grammar when it is imported: 1.5 s in every pytest process, the controller's start-up and
each xdist worker's, on the critical path. Nothing in the test processes validates the two
formats it checks ("iri" and "iri-reference" of JSON Schema drafts 7 and later; nbformat's
schemas use neither), so here it counts as not installed: jsonschema then skips those two
checkers, as it does without the package. The servers and kernels the tests start are
other processes, which import it as usual.

**nbval's debug log is formatted only when it is logged.** ``nbval.kernel`` logs every
message of a notebook's kernel as ``logger.debug("...%s", stream, pformat(msg))``: the
argument is built before ``logger.debug`` looks at the level, so each message is
pretty-printed and thrown away (DEBUG is off unless ``--log-level=DEBUG`` asks for it):
3.9 thousand messages; the process that runs the notebooks used 3.0 s of CPU for their
226 cells with it, 2.0 s without. :func:`pytest_configure` gives that module a
``pformat`` whose result formats the message when the record is emitted, with the same
text.

**An xdist worker ends without tearing down its objects.** When its session is over it
has sent its last report to the controller; what is left is the interpreter's own
shutdown, which frees the half gigabyte of figures, explorers and modules the tests made,
object by object: 1.5 s during which the controller waits for it. So, once pytest has
unconfigured the worker, the last exit handler (this module registers it first, and they
run last-registered first) flushes stdout and stderr and ends the process with
``os._exit(0)``, as the interpreter would end it, minus the freeing. Only in a worker,
and only after its session finished: a worker that fails before that exits as usual.
"""

import atexit
import os
import pprint
import sys

sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules: "import" raises ImportError

_WORKER = "PYTEST_XDIST_WORKER" in os.environ  # set before a worker loads its plugins
_session_over = False


class LazyPformat:
    """``pprint.pformat(obj)``, computed when the log record is formatted (``str()``)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __str__(self):
        return pprint.pformat(self.obj)


def pytest_configure(config):
    kernel = sys.modules.get("nbval.kernel")  # imported with nbval's plugin, if installed
    if kernel is not None and getattr(kernel, "pformat", None) is pprint.pformat:
        kernel.pformat = LazyPformat


def pytest_unconfigure(config):
    global _session_over
    _session_over = _WORKER


def _end_worker():
    if _session_over:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if _WORKER:
    atexit.register(_end_worker)  # the first registered in the worker: it runs last
