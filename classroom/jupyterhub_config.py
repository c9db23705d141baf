"""JupyterHub for a class on one machine: every student gets a server of their own and their own copies.

Started by ``python classroom/start.py`` (which installs the proxy and sets the
variables below); ``jupyterhub -f classroom/jupyterhub_config.py`` works too.

- **Proxy**: ``configurable-http-proxy`` from npm, installed in ``classroom/node_modules``.
- **Authenticator**: FirstUseAuthenticator: a student picks a password at the first
  login (``LECTUREKIT_HUB_ROSTER``, a file of user names one a line, limits who may;
  without it anyone who reaches the hub may make an account). The tests use
  JupyterHub's DummyAuthenticator (``LECTUREKIT_HUB_AUTH=dummy``).
- **Spawner**: SimpleLocalProcessSpawner: every student's server runs as the user who
  started the hub, with ``HOME`` = ``STATE/homes/NAME``, no system users needed.
  Before the first start ``scripts/workspace.py`` copies the notebooks (and
  exercises) there, as ``STATE/homes/NAME/lecturekit/notebooks/``; a copy the student
  already has is never overwritten.
- **Limits**: ``mem_limit`` / ``cpu_limit`` per student (``LECTUREKIT_HUB_MEM``,
  ``LECTUREKIT_HUB_CPU``). A local spawner only passes them on as ``MEM_LIMIT`` /
  ``CPU_LIMIT``; this file enforces them with a Linux cgroup per student when the hub
  runs as root and cgroups are writable (v2 or v1), and says so in the log when it cannot.
  Each student's BLAS runs on one thread.
- **Culler**: ``jupyterhub-idle-culler`` as a hub service stops servers idle for
  ``LECTUREKIT_HUB_CULL`` seconds (default 3600).

Variables (all optional): LECTUREKIT_HUB_STATE (default ``classroom/state``),
LECTUREKIT_HUB_IP (127.0.0.1), LECTUREKIT_HUB_PORT (8000), LECTUREKIT_HUB_ADMIN
(admin user names, comma-separated), LECTUREKIT_HUB_EXPOSE_APP=1 (window.jupyterapp
in students' JupyterLab pages, for the browser tests).
"""

import os
import shutil
import socket
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENV = os.environ.get
STATE = Path(ENV("LECTUREKIT_HUB_STATE", str(HERE / "state"))).resolve()
STATE.mkdir(parents=True, exist_ok=True)
BIN = Path(sys.executable).parent
START_PAGE = "lecturekit/notebooks/00-start-here.ipynb"

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------- hub and proxy
c.JupyterHub.bind_url = f"http://{ENV('LECTUREKIT_HUB_IP', '127.0.0.1')}:{ENV('LECTUREKIT_HUB_PORT', '8000')}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(ENV("LECTUREKIT_HUB_API_PORT") or _free_port())
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{ENV('LECTUREKIT_HUB_PROXY_API_PORT') or _free_port()}"
_chp = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(_chp) if _chp.exists() else "configurable-http-proxy"]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops the students' servers
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.shutdown_on_logout = False
# A whole class logs in within a minute: let all of them start at once.
c.JupyterHub.concurrent_spawn_limit = int(ENV("LECTUREKIT_HUB_SPAWN_LIMIT", "0"))
c.JupyterHub.active_server_limit = int(ENV("LECTUREKIT_HUB_SERVER_LIMIT", "0"))

# ----------------------------------------------------------------------- who may log in
if ENV("LECTUREKIT_HUB_AUTH") == "dummy":  # tests only: any name, the password below
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = ENV("LECTUREKIT_HUB_PASSWORD", "lecturekit")
    c.Authenticator.allow_all = True
else:
    c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
    c.FirstUseAuthenticator.dbm_path = str(STATE / "passwords.dbm")
    c.FirstUseAuthenticator.create_users = True
    c.FirstUseAuthenticator.min_password_length = 8
    roster = ENV("LECTUREKIT_HUB_ROSTER")
    if roster:
        names = Path(roster).read_text(encoding="utf-8").split()
        c.Authenticator.allowed_users = {n.strip().lower() for n in names if n.strip()}
    else:
        c.Authenticator.allow_all = True
admins = {a.strip() for a in ENV("LECTUREKIT_HUB_ADMIN", "").split(",") if a.strip()}
if admins:
    c.Authenticator.admin_users = admins


# ----------------------------------------------------------------------- the students' servers
def _parse_bytes(text):
    text = str(text).strip().upper()
    for suffix, factor in (("K", 2**10), ("M", 2**20), ("G", 2**30), ("T", 2**40)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * factor)
    return int(text)


class ClassroomSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner + per-student copies of the notebooks + cgroup limits when possible."""

    def _cgroup_dirs(self):
        """The cgroup folders (v2, or v1 memory and cpu) that hold this student's server."""
        base = Path("/sys/fs/cgroup")
        name = f"lecturekit-hub/{self.user.name}"
        if (base / "cgroup.controllers").exists():  # v2: one tree
            return [base / name]
        return [base / "memory" / name, base / "cpu" / name]

    def _make_cgroups(self):
        if os.geteuid() != 0:
            return []
        made = []
        try:
            v2 = Path("/sys/fs/cgroup/cgroup.controllers").exists()
            for folder in self._cgroup_dirs():
                folder.mkdir(parents=True, exist_ok=True)
                made.append(folder)
            if v2:
                parent = made[0].parent
                (parent / "cgroup.subtree_control").write_text("+memory +cpu")
                if self.mem_limit:
                    (made[0] / "memory.max").write_text(str(self.mem_limit))
                if self.cpu_limit:
                    (made[0] / "cpu.max").write_text(f"{int(self.cpu_limit * 100000)} 100000")
            else:
                memory, cpu = made
                if self.mem_limit:
                    (memory / "memory.limit_in_bytes").write_text(str(self.mem_limit))
                if self.cpu_limit:
                    (cpu / "cpu.cfs_period_us").write_text("100000")
                    (cpu / "cpu.cfs_quota_us").write_text(str(int(self.cpu_limit * 100000)))
        except OSError as err:
            self.log.warning("no cgroup limits for %s (%s): mem_limit/cpu_limit are only "
                             "advertised as MEM_LIMIT/CPU_LIMIT", self.user.name, err)
            return []
        return made

    def make_preexec_fn(self, name):
        home_preexec = super().make_preexec_fn(name)
        groups = self._make_cgroups()

        def preexec():
            home_preexec()
            for folder in groups:  # the server, and the kernels it starts, in the student's cgroup
                try:
                    (folder / "cgroup.procs").write_text(str(os.getpid()))
                except OSError:
                    pass

        return preexec


def _prepare_home(spawner):
    """Before a student's server starts: their own copies of the notebooks (never overwritten)."""
    home = Path(spawner.home_dir)
    home.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "scripts"))
    import workspace  # scripts/workspace.py: copies notebooks/ and exercises/, links the notes

    workspace.make(home)
    # No JupyterLab news pop-up over the notebook, every cell rendered (the explorers
    # stay put while the page scrolls on a projector), and none of nbgrader's instructor
    # tools (its menu, "Create Assignment", "Validate"), which the environment has because
    # the instructor's extra installs nbgrader: students work on the student versions.
    labconfig = home / ".jupyter" / "labconfig" / "page_config.json"
    if not labconfig.exists():
        labconfig.parent.mkdir(parents=True, exist_ok=True)
        labconfig.write_text('{"disabledExtensions": '
                             '{"@jupyterlab/apputils-extension:announcements": true, '
                             '"@jupyter/nbgrader": true}}\n')
    tracker = (home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
               / "tracker.jupyterlab-settings")
    if not tracker.exists():
        tracker.parent.mkdir(parents=True, exist_ok=True)
        tracker.write_text('{"windowingMode": "none"}\n')


def _remove_cgroups(spawner):
    if isinstance(spawner, ClassroomSpawner):
        for folder in spawner._cgroup_dirs():
            try:
                folder.rmdir()
            except OSError:
                pass


c.JupyterHub.spawner_class = ClassroomSpawner
c.ClassroomSpawner.home_dir_template = str(STATE / "homes" / "{username}")
c.Spawner.pre_spawn_hook = _prepare_home
c.Spawner.post_stop_hook = _remove_cgroups
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = f"/lab/tree/{START_PAGE}"
c.Spawner.notebook_dir = "~"
args = []
if os.geteuid() == 0:
    args.append("--allow-root")
if ENV("LECTUREKIT_HUB_EXPOSE_APP") == "1":
    args.append("--LabApp.expose_app_in_browser=True")
c.Spawner.args = args
c.Spawner.mem_limit = ENV("LECTUREKIT_HUB_MEM", "2G")
c.Spawner.cpu_limit = float(ENV("LECTUREKIT_HUB_CPU", "1"))
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
_threads = {v: "1" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
c.Spawner.environment = {
    **_threads,
    "PATH": f"{BIN}{os.pathsep}{ENV('PATH', '')}",
    "MPLBACKEND": "Agg",
    **({"LECTUREKIT_NOTES": ENV("LECTUREKIT_NOTES")} if ENV("LECTUREKIT_NOTES") else {}),
}

# ----------------------------------------------------------------------- the idle culler
cull = int(ENV("LECTUREKIT_HUB_CULL", "3600"))
cull_every = int(ENV("LECTUREKIT_HUB_CULL_EVERY") or max(10, min(600, cull // 6)))
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={cull}",
                f"--cull-every={cull_every}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

if not shutil.which(c.ConfigurableHTTPProxy.command[0]):
    print("configurable-http-proxy is not installed: run python classroom/start.py, which "
          "installs it into classroom/node_modules", file=sys.stderr)
