"""Start JupyterHub for a class on this machine, installing what it needs first.

    python classroom/start.py                     # http://127.0.0.1:8000, this machine only
    python classroom/start.py --ip 0.0.0.0        # the students' machines too (port 8000)
    python classroom/start.py --roster names.txt --admin teacher --mem 2G --cpu 1

Installs, when missing: the ``classroom`` extra of this repository into the running
Python (jupyterhub, jupyterhub-idle-culler, FirstUseAuthenticator, JupyterLab,
lecturekit itself) and ``configurable-http-proxy`` from npm into
``classroom/node_modules``. Then runs ``jupyterhub -f classroom/jupyterhub_config.py``
with the state (user database, password file, every student's home folder) in
``classroom/state/`` (git-ignored; ``--state DIR`` elsewhere). Ctrl-C stops the hub,
the proxy and every student's server.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHP = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
NEEDED = ("jupyterhub", "jupyterhub_idle_culler", "firstuseauthenticator", "jupyterlab", "lecturekit")


def proxy_command():
    """The path of configurable-http-proxy, installed with npm into classroom/node_modules if missing."""
    if CHP.exists():
        return CHP
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("configurable-http-proxy needs npm (Node.js): install it "
                           "(Debian: apt-get install -y npm) and run this again")
    print("installing configurable-http-proxy from npm into classroom/node_modules", flush=True)
    subprocess.run([npm, "install", "--prefix", str(HERE), "--no-audit", "--no-fund",
                    "--loglevel=error"], check=True)
    if not CHP.exists():
        raise RuntimeError(f"npm ran but {CHP} is missing")
    return CHP


def install_python():
    """pip install -e '.[classroom]' into this Python when one of its packages is missing."""
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if missing:
        print(f"installing the classroom extra ({', '.join(missing)} missing)", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-e", f"{ROOT}[classroom]"], check=True)


def hub_command(config=HERE / "jupyterhub_config.py"):
    return [sys.executable, "-m", "jupyterhub", "-f", str(config)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--state", type=Path, default=HERE / "state",
                        help="user database, passwords and the students' homes (default classroom/state)")
    parser.add_argument("--roster", type=Path, help="a file of the user names allowed to log in")
    parser.add_argument("--admin", default="", help="admin user names, comma-separated")
    parser.add_argument("--mem", default="2G", help="memory limit per student (default 2G)")
    parser.add_argument("--cpu", default="1", help="CPU limit per student, in cores (default 1)")
    parser.add_argument("--cull", default="3600", help="stop servers idle this many seconds (default 3600)")
    args = parser.parse_args(argv)
    install_python()
    proxy_command()
    env = dict(os.environ, LECTUREKIT_HUB_IP=args.ip, LECTUREKIT_HUB_PORT=str(args.port),
               LECTUREKIT_HUB_STATE=str(args.state.resolve()), LECTUREKIT_HUB_ADMIN=args.admin,
               LECTUREKIT_HUB_MEM=args.mem, LECTUREKIT_HUB_CPU=args.cpu, LECTUREKIT_HUB_CULL=args.cull)
    if args.roster:
        env["LECTUREKIT_HUB_ROSTER"] = str(args.roster.resolve())
    print(f"JupyterHub on http://{args.ip}:{args.port}/ : each student picks a password "
          "at the first login", flush=True)
    args.state.mkdir(parents=True, exist_ok=True)
    hub = subprocess.Popen(hub_command(), env=env, cwd=args.state)
    # A SIGTERM to this script stops the hub the same way (it then stops everything it started).
    signal.signal(signal.SIGTERM, lambda *_: hub.send_signal(signal.SIGTERM))
    while True:
        try:
            return hub.wait()
        except KeyboardInterrupt:  # the hub got the same Ctrl-C: let it stop everything it started
            continue


if __name__ == "__main__":
    sys.exit(main())
