"""A class on one JupyterHub: what one student costs, and how many a 2-core, 24 GiB machine holds.

Runs classroom/load.py's class (10 simulated students and one in headless Chromium
on a fresh hub on 127.0.0.1, lecture notebook 04), the same run as
tests/test_classroom.py; ``LECTUREKIT_CLASSROOM_RESULTS=screenshots/classroom.json``
reads the measurements that test wrote instead of running the class again.

The capacity model (classroom/capacity.py): memory bound = (24 GiB - 2 GiB for the
system - hub - proxy) / (a student's server + kernel after Run All and moves, the
largest measured); CPU bound = the largest class whose slider p95 stays within
150 ms, modelled as a queue of slider moves on 2 cores (each move costs the kernel +
server + proxy CPU measured per move, constant: M/D/2, simulated; M/M/2, exponential
work, as the pessimistic row) plus a fixed part no queue adds to (the browser
student's fastest move alone on the hub, less that CPU), every student moving a
slider once every 2 s at the same time (an instructor's "now move the slider"). The
capacity is the smaller, and below the class size the load test's moves amount to at
that rate if its measured p95 missed 150 ms there (a measurement overrules the model).
CPU seconds per move are counted by the kernel, so they hold on a busy machine; the
wall-clock latencies of a machine shared with other work do not.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from pathlib import Path

from .common import Row, percentile

STUDENTS = 10
RAM = 24 * 2**30
RESERVE = 2 * 2**30
CORES = 2
RATE = 0.5  # slider moves per second per student, everyone exploring at once
BUDGET = 0.150
MiB = 2**20


def measure():
    path = os.environ.get("LECTUREKIT_CLASSROOM_RESULTS")
    if path:
        return json.loads(Path(path).read_text(encoding="utf-8")), f"from {path}"
    from classroom import load
    from tests import browser

    with tempfile.TemporaryDirectory() as tmp:
        if browser.missing() is None:
            with browser.chromium() as chromium:
                return load.run_class(Path(tmp), students=STUDENTS, browser=chromium, slider_moves=15), ""
        return load.run_class(Path(tmp), students=STUDENTS), ""


def rows():
    from classroom import capacity, start

    if not start.CHP.exists() and __import__("shutil").which("npm") is None:
        yield Row("classroom (skipped)", float("nan"), "", "npm is missing: no configurable-http-proxy")
        return
    r, source = measure()
    recs = [x for x in r["records"] if not x.get("errors")]
    n = r["students"]
    note = f"{len(recs)}/{n} simulated students ok, {r['notebook']}" + (f", {source}" if source else "")
    med = statistics.median
    if "loadavg_1min" in r:
        note += f"; machine load average {r['loadavg_1min']:.1f} at the end (2 cores)"
    yield Row("classroom: students on the hub (simulated + Chromium)", n + ("browser" in r), "", note)
    yield Row("classroom: kernel RSS idle (median)", med(x["kernel_rss_idle"] for x in recs) / MiB, "MiB",
              "after the kernel started, before Run All")
    yield Row("classroom: kernel RSS after Run All (median)",
              med(x["kernel_rss_run_all"] for x in recs) / MiB, "MiB", "")
    kernel_max = max(max(x["kernel_rss_run_all"], x["kernel_rss_moved"]) for x in recs)
    yield Row("classroom: kernel RSS after Run All and moves (max)", kernel_max / MiB, "MiB", "")
    server_max = max(x["server_rss_run_all"] for x in recs)
    yield Row("classroom: single-user server RSS (max)", server_max / MiB, "MiB",
              "jupyterhub-singleuser + JupyterLab, without the kernel")
    per_student = kernel_max + server_max
    yield Row("classroom: memory per student (server + kernel)", per_student / MiB, "MiB",
              "the memory bound's unit")
    yield Row("classroom: Run All under the class (median)", med(x["run_all_s"] for x in recs), "s",
              f"kernel CPU {med(x['run_all_cpu_s'] for x in recs):.2f} s (median)")
    yield Row("classroom: hub RSS", r["hub_rss"] / MiB, "MiB",
              f"{r['hub_rss_empty'] / MiB:.0f} MiB before anyone came")
    yield Row("classroom: proxy RSS", r["proxy_rss"] / MiB, "MiB",
              f"configurable-http-proxy; {r['proxy_rss_empty'] / MiB:.0f} MiB before anyone came")
    yield Row("classroom: hub CPU during the class", 100 * r["hub_cpu_class_s"] / r["class_s"], "% core",
              f"{r['hub_cpu_class_s']:.1f} s over {r['class_s']:.0f} s")
    yield Row("classroom: proxy CPU during the class", 100 * r["proxy_cpu_class_s"] / r["class_s"], "% core",
              f"{r['proxy_cpu_class_s']:.1f} s over {r['class_s']:.0f} s")
    moves = [t for x in recs for t in x["move_s"]]
    for q in (50, 95):
        yield Row(f"classroom: explorer update() via kernel protocol (p{q})",
                  percentile(moves, q) * 1e3, "ms",
                  f"{len(moves)} moves of the simulated students, through the proxy")
    b = r.get("browser") or {}
    # The proxy's CPU while everyone only moved sliders, per move.
    proxy_share = r["proxy_cpu_moves_s"] / max(r["moves_in_window"], 1)
    work = med(x["move_cpu_s"] + x["move_server_cpu_s"] for x in recs) + proxy_share
    yield Row("classroom: CPU per slider move (kernel + server + proxy)", work * 1e3, "ms",
              f"kernel {med(x['move_cpu_s'] for x in recs) * 1e3:.0f} ms, server "
              f"{med(x['move_server_cpu_s'] for x in recs) * 1e3:.0f} ms, proxy {proxy_share * 1e3:.0f} ms")
    # The simulated students' own rate of moves: one per (round trip + pause).
    rate_now = sum(len(x["move_s"]) / (sum(x["move_s"]) + r["think_s"] * len(x["move_s"])) for x in recs)
    if b.get("slider_alone_s") and b.get("slider_loaded_s") and not b.get("errors"):
        for key, label in (("slider_alone_s", "alone on the hub"),
                           ("slider_loaded_s", "while the others work")):
            for q in (50, 95):
                yield Row(f"classroom: Chromium slider -> new image, {label} (p{q})",
                          percentile(b[key], q) * 1e3, "ms", f"{len(b[key])} moves; target p95 <= 150 ms")
        fixed = max(0.0, min(b["slider_alone_s"]) - work)
        yield Row("classroom: model fixed part (browser, websocket, PNG)", fixed * 1e3, "ms",
                  "Chromium's fastest move alone on the hub, less the CPU per move")
        model_now = fixed + capacity.simulated_sojourn_p95(CORES, rate_now, work)
        yield Row("classroom: model p95 at the measured load (M/D/2)", model_now * 1e3, "ms",
                  f"{rate_now:.1f} moves/s from {len(recs)} students; measured "
                  f"{percentile(b['slider_loaded_s'], 95) * 1e3:.0f} ms, with Chromium and the load "
                  f"driver on the same {CORES} cores")
        # The load test as a class moving once every 2 s: if its p95 missed the budget, a
        # class that size is too many, whatever the model says.
        equivalent = int(rate_now / RATE)
        measured = percentile(b["slider_loaded_s"], 95)
        yield Row("classroom: the load test as a class at one move per 2 s", equivalent, "students",
                  f"{rate_now:.1f} moves/s; measured p95 {measured * 1e3:.0f} ms: "
                  + ("within" if measured <= BUDGET else "over") + " 150 ms")
        cap_measured = equivalent - 1 if measured > BUDGET else None
    else:
        yield Row("classroom: Chromium slider (skipped)", float("nan"), "",
                  str(b.get("errors") or "no Chromium"))
        fixed, cap_measured = 0.0, None
    n_cpu = capacity.cpu_bound_constant_work(CORES, RATE, work, fixed, BUDGET)
    n_cpu_exp = capacity.cpu_bound(CORES, RATE, work, fixed, BUDGET)
    overhead = r["hub_rss"] + r["proxy_rss"]
    n_mem = capacity.memory_bound(RAM, per_student, overhead, RESERVE)
    yield Row("classroom: capacity, memory bound (24 GiB)", n_mem, "students",
              f"(24 GiB - 2 GiB system - hub - proxy) / {per_student / MiB:.0f} MiB")
    yield Row("classroom: capacity, CPU bound (2 cores, p95 <= 150 ms)", n_cpu, "students",
              f"M/D/2, each student moving a slider every {1 / RATE:.0f} s")
    yield Row("classroom: capacity, CPU bound, exponential work (M/M/2)", n_cpu_exp, "students",
              "pessimistic: a move's p95 three times its mean")
    bounds = {"memory": n_mem, "CPU model": n_cpu}
    if cap_measured is not None:
        bounds["the load test's p95"] = cap_measured
    which = min(bounds, key=bounds.get)
    cap = bounds[which]
    yield Row("classroom: capacity of a 2-core, 24 GiB machine", cap, "students",
              f"the smallest bound: {which}")
    run_all_cpu = med(x["run_all_cpu_s"] for x in recs)
    yield Row("classroom: Run All of that many students at once", cap * run_all_cpu / CORES, "s",
              f"{cap} x {run_all_cpu:.2f} s CPU / {CORES} cores: the last one waits this long")
