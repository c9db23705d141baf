"""tests/startup_plugin.py, in the process that runs these tests (addopts loads it first)."""

import logging
import pprint
import sys
import types

import pytest

from . import startup_plugin

kernel = pytest.importorskip("nbval.kernel")


def _message():
    # the shape of a kernel's iopub message, nested as pprint would wrap it
    return {"header": {"msg_type": "stream", "msg_id": "a" * 40},
            "content": {"name": "stdout", "text": "x = 1\n" * 20}, "metadata": {}}


def _get_message(msg):
    """nbval's RunningKernel.get_message on a kernel client that returns ``msg``."""
    fake = types.SimpleNamespace(kc=types.SimpleNamespace(get_iopub_msg=lambda timeout: msg))
    return kernel.RunningKernel.get_message(fake, "iopub")


def test_the_iri_grammar_counts_as_not_installed():
    assert "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None
    with pytest.raises(ImportError):
        __import__("rfc3987_syntax")


def test_nbval_pretty_prints_a_kernel_message_only_when_its_debug_record_is_emitted(
        monkeypatch, caplog):
    assert kernel.pformat is startup_plugin.LazyPformat
    calls = []
    real = pprint.pformat
    monkeypatch.setattr(pprint, "pformat", lambda obj: calls.append(obj) or real(obj))
    msg = _message()
    with caplog.at_level(logging.INFO, logger="nbval"):
        assert _get_message(msg) is msg
    assert calls == []  # DEBUG off: nothing formatted
    with caplog.at_level(logging.DEBUG, logger="nbval"):
        _get_message(msg)
    assert calls and all(c is msg for c in calls)  # once per handler that emits it
    # the same text as nbval's own eager pformat
    assert caplog.records[-1].getMessage() == f"Kernel message (iopub):\n{real(msg)}"
