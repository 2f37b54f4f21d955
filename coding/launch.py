"""`qcode app`: run the Streamlit dashboard as a child process with qcode's settings on its command line.

The dashboard is the `qcode_app` package of an installed wheel, or app/ of a source checkout. Its settings
(app/streamlit.toml) become Streamlit flags, so nothing depends on the folder qcode runs from. Stopping
`qcode app` (SIGTERM, SIGINT) stops the server: the signal is passed on to the child and waited for.

Beyond loopback the dashboard needs logins: `qcode app --host 0.0.0.0` refuses to start while the project has
no accounts ('qcode users add'), and the host is passed on (QCODE_HOST) so the dashboard refuses too if the
last account is removed while it runs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from .auth import is_loopback
from .errors import ProjectError, UsageError
from .resources import in_checkout

log = logging.getLogger(__name__)
SETTINGS_NAME = "streamlit.toml"
HOST_ENV = "QCODE_HOST"


def require_safe_host(host: str, accounts_exist: bool) -> None:
    """Refuse to listen beyond this machine without logins: anyone who reaches the port could code as anyone."""
    if not is_loopback(host) and not accounts_exist:
        raise UsageError(
            f"--host {host} lets other machines reach the dashboard, and this project has no accounts: add them "
            "first ('qcode users add NAME --role lead'), or use --host 127.0.0.1"
        )


def dashboard_script() -> Path:
    checkout = in_checkout("app")
    if checkout is not None and (checkout / "main.py").is_file():
        return checkout / "main.py"
    spec = importlib.util.find_spec("qcode_app")  # finds the package without importing it (or Streamlit)
    if spec is None or not spec.submodule_search_locations:
        raise ProjectError("the dashboard is not installed (no qcode_app package): reinstall qcode")
    return Path(next(iter(spec.submodule_search_locations))) / "main.py"


def _flag_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def streamlit_command(script: Path, host: str, port: int) -> list[str]:
    settings_path = script.with_name(SETTINGS_NAME)
    try:
        settings: dict[str, dict[str, Any]] = tomllib.loads(settings_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        settings = {}
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{settings_path}: not valid TOML ({exc})") from None
    server = settings.setdefault("server", {})
    server.update(address=host, port=port, headless=True)
    settings.setdefault("browser", {})["gatherUsageStats"] = False
    flags = [
        f"--{section}.{key}={_flag_value(value)}" for section, table in settings.items() for key, value in table.items()
    ]
    # serve.py beside the script imports the page's libraries before starting Streamlit (a quicker first visit)
    return [sys.executable, str(script.with_name("serve.py")), "run", str(script), *flags]


def run_dashboard(folder: Path, database: str | None, host: str, port: int) -> int:
    """Run the dashboard until it stops; returns its exit status (128 + signal number when killed)."""
    command = streamlit_command(dashboard_script(), host, port)
    env = {**os.environ, "QCODE_PROJECT": str(folder.resolve()), HOST_ENV: host}
    if database:
        env["QCODE_DB"] = database
    log.info("running %s", " ".join(command))
    child = subprocess.Popen(command, env=env)
    signals_seen = 0

    def pass_on(signum: int, _frame: Any) -> None:
        nonlocal signals_seen
        signals_seen += 1
        if child.poll() is None:
            # A second signal means the server did not stop in time: end it.
            child.send_signal(signum) if signals_seen == 1 else child.kill()

    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.signal(signum, pass_on) for signum in handled}
    try:
        status = child.wait()  # retried after each handler runs (PEP 475)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status if status >= 0 else 128 - status
