"""The simulator and a real Home Assistant with the integration linked in.

Used by ``scripts/develop`` (``python -m tests.e2e.stack``) and by the end-to-end test.
Both run as child processes of the caller; :class:`Stack` stops them on exit. The stack is
driven synchronously (plain HTTP; the few websocket commands run on a thread of their own),
so it runs the same from a script and from a test with its own event loop.
"""

import argparse
import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
import contextlib
from dataclasses import dataclass
from http import HTTPStatus
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from types import FrameType, TracebackType
from typing import IO, Any, Self
import urllib.error
import urllib.parse
import urllib.request

import aiohttp
from homeassistant.const import RESTART_EXIT_CODE

from tests.simulator import DEMO_APP_ID, DEMO_APP_SECRET, DEMO_TIMEZONE
from tests.simulator.__main__ import SITES, make_site
from tests.simulator.site import DEMO_LATITUDE, DEMO_LONGITUDE, noon_place

REPO = Path(__file__).resolve().parents[2]
INTEGRATION = REPO / "custom_components" / "apsystems_ema"
HOST = "127.0.0.1"

USERNAME = "dev"
PASSWORD = "dev-password"
"""The Home Assistant user the stack creates at onboarding (a throw-away, local-only one)."""

HTTP_YAML = """\
http:
  server_host: {host}
  server_port: {port}
"""
"""Read on the first start only: Home Assistant keeps HTTP settings in its storage since 2026.x."""

CONFIGURATION_YAML = """\
# Written by tests/e2e/stack.py: a small Home Assistant for the APsystems EMA integration,
# without default_config (which pulls in many integrations and their requirements).
homeassistant:
  name: APsystems demo
  latitude: {latitude}
  longitude: {longitude}
  elevation: 0
  unit_system: metric
  currency: EUR
  country: NL
  language: en
  time_zone: {time_zone}
{http}frontend:
config:
energy:
history:
logbook:
recorder:
logger:
  default: warning
"""


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``HOST:port`` (closed connections may linger)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _listening(port: int) -> bool:
    """Whether something accepts connections on ``HOST:port``."""
    with socket.create_connection((HOST, port), timeout=1.0):
        return True


def write_config(
    config_dir: Path,
    port: int,
    *,
    with_http: bool = True,
    time_zone: str = DEMO_TIMEZONE,
    longitude: float = DEMO_LONGITUDE,
    latitude: float = DEMO_LATITUDE,
) -> None:
    """A minimal configuration, and the integration linked into ``custom_components``.

    ``with_http``: include the ``http:`` section (loopback only, ``port``). Home Assistant
    moves it to its storage on the first start and warns about it afterwards. ``time_zone``,
    ``longitude`` and ``latitude`` place the home where the simulated site is.

    The link is relative (``../../../custom_components/apsystems_ema`` for ``.dev/config``),
    so edits of the integration show after a restart of Home Assistant.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION_YAML.format(
            time_zone=time_zone,
            latitude=latitude,
            longitude=longitude,
            http=HTTP_YAML.format(host=HOST, port=port) if with_http else "",
        ),
        encoding="utf-8",
    )
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / INTEGRATION.name
    target = Path(os.path.relpath(INTEGRATION, custom))
    if link.is_symlink() or link.exists():
        if link.is_symlink() and link.readlink() == target:
            return
        link.unlink()
    link.symlink_to(target, target_is_directory=True)


def skip_onboarding_integrations(config_dir: Path) -> None:
    """Mark onboarding's ``core_config`` step done before the first start.

    Finishing that step through the API also starts the config flows of the integrations
    onboarding offers (met, google_translate, radio_browser, shopping_list), which need
    packages and internet access this stack has not. Nothing else depends on the step.
    """
    store = config_dir / ".storage" / "onboarding"
    if store.exists():
        return
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config"]},
            },
            indent=2,
        ),
        encoding="utf-8",
    )


@dataclass(frozen=True)
class Tokens:
    """The tokens of the ``dev`` user (for Home Assistant's REST and websocket APIs)."""

    access_token: str
    refresh_token: str
    expires_in: int


class StackError(RuntimeError):
    """A process of the stack did not start or answer as expected."""


def _request(
    url: str,
    *,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    timeout: float = 10.0,
) -> Any:
    """One HTTP request to the local Home Assistant; the decoded JSON answer."""
    headers = {}
    data: bytes | None = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        body = response.read()
    return json.loads(body) if body else None


async def websocket_calls(base_url: str, token: str, *messages: dict[str, Any]) -> list[Any]:
    """Send commands over Home Assistant's websocket API; their results, in order.

    A command Home Assistant answers with an error raises :class:`StackError`.
    """
    results: list[Any] = []
    ws_url = base_url.replace("http://", "ws://", 1) + "/api/websocket"
    # The threaded resolver: no resolver thread left behind (and only an IP is resolved).
    connector = aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver())
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.ws_connect(ws_url) as ws,
    ):
        greeting = await ws.receive_json()
        if greeting.get("type") != "auth_required":
            raise StackError(f"unexpected websocket greeting: {greeting}")
        await ws.send_json({"type": "auth", "access_token": token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise StackError(f"websocket authentication failed: {answer}")
        for number, message in enumerate(messages, start=1):
            await ws.send_json({**message, "id": number})
            while (answer := await ws.receive_json()).get("id") != number:
                pass
            if not answer.get("success"):
                raise StackError(f"{message['type']} failed: {answer.get('error')}")
            results.append(answer.get("result"))
    return results


def websocket_calls_blocking(base_url: str, token: str, *messages: dict[str, Any]) -> list[Any]:
    """:func:`websocket_calls` from synchronous code (on a thread with its own loop)."""
    with ThreadPoolExecutor(1, thread_name_prefix="stack-websocket") as executor:
        return executor.submit(asyncio.run, websocket_calls(base_url, token, *messages)).result()


def stored_http_port(config_dir: Path) -> int | None:
    """The port a previous start confirmed (Home Assistant ignores YAML's after that)."""
    store = config_dir / ".storage" / "http"
    try:
        data = json.loads(store.read_text(encoding="utf-8"))["data"]
    except OSError, ValueError, KeyError:
        return None
    port = data.get("stable", {}).get("server_port")
    return port if isinstance(port, int) else None


class Stack:
    """The simulator on ``sim_port`` and Home Assistant on ``port``, with ``config_dir``.

    ``with Stack(...) as stack:`` starts both, completes onboarding (user ``dev``) if
    needed, waits until Home Assistant runs, and stops both processes on exit. Their output
    goes to ``simulator.log`` and ``home-assistant.out`` in ``log_dir``.

    The simulator serves ``site`` (a name of ``python -m tests.simulator --site``, the demo
    site by default); ``latitude`` moves it (and the home) north or south (None: the site's
    own latitude).
    """

    def __init__(
        self,
        config_dir: Path,
        *,
        port: int,
        sim_port: int,
        log_dir: Path | None = None,
        startup_timeout: float = 180.0,
        noon: bool = False,
        site: str = "demo",
        latitude: float | None = None,
    ) -> None:
        """Configure (nothing starts before :meth:`start`). With ``noon`` the site and the
        home move to a timezone and longitude where it is about noon at the start."""
        if site not in SITES:
            raise ValueError(f"unknown site {site!r}; known: {sorted(SITES)}")
        self.config_dir = config_dir
        self.port = port
        self.site = site
        self.sim_port = sim_port
        self.log_dir = log_dir or config_dir.parent
        self.startup_timeout = startup_timeout
        self.noon = noon
        self.latitude = latitude
        self.place = DEMO_TIMEZONE, DEMO_LONGITUDE  # (timezone, longitude), set at the start
        self.base_url = f"http://{HOST}:{port}"
        self.sim_url = f"http://{HOST}:{sim_port}"
        self.client_id = f"{self.base_url}/"
        self.tokens: Tokens | None = None
        self._processes: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    def sid(self) -> str:
        """The system id (SID) of the simulated site, to enter at set-up."""
        zone, longitude = self.place
        return make_site(self.site, timezone=zone, longitude=longitude).sid

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the simulator and Home Assistant; onboard; wait until running."""
        for port in (self.port, self.sim_port):
            if not port_is_free(port):
                raise StackError(f"port {port} on {HOST} is in use")
        previous = stored_http_port(self.config_dir)
        if previous is not None and previous != self.port:
            raise StackError(
                f"{self.config_dir} was set up for port {previous}: use that port or delete "
                "the directory (Home Assistant keeps the HTTP settings of its first start)"
            )
        zone, longitude = noon_place() if self.noon else (DEMO_TIMEZONE, DEMO_LONGITUDE)
        self.place = zone, longitude
        self._write_config(with_http=previous is None)
        skip_onboarding_integrations(self.config_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._spawn("simulator", self._simulator_argv(zone, longitude))
        self._spawn("home-assistant", self._home_assistant_argv())
        deadline = time.monotonic() + self.startup_timeout
        self._wait(deadline, "the simulator", lambda: _listening(self.sim_port))
        self._wait(deadline, "Home Assistant's HTTP server", self._http_up)
        self.tokens = self.onboard()
        self._wait(deadline, "Home Assistant to run", self._running)
        self.confirm_http_config()

    def _simulator_argv(self, zone: str, longitude: float) -> list[str]:
        """The simulator's command."""
        moved = ["--latitude", str(self.latitude)] if self.latitude is not None else []
        return [
            sys.executable,
            "-m",
            "tests.simulator",
            "--host",
            HOST,
            "--port",
            str(self.sim_port),
            "--timezone",
            zone,
            "--longitude",
            str(longitude),
            "--site",
            self.site,
            *moved,
        ]

    def _write_config(self, *, with_http: bool) -> None:
        zone, longitude = self.place
        write_config(
            self.config_dir,
            self.port,
            with_http=with_http,
            time_zone=zone,
            longitude=longitude,
            latitude=DEMO_LATITUDE if self.latitude is None else self.latitude,
        )

    def stop(self) -> None:
        """Stop both processes (gracefully, then by force); idempotent."""
        while self._processes:
            _, process, log = self._processes.pop()
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            log.close()

    def __enter__(self) -> Self:
        """Start (and stop again if the start fails)."""
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        self.stop()

    def running(self) -> bool:
        """Whether both processes still run."""
        return bool(self._processes) and all(p.poll() is None for _, p, _ in self._processes)

    def restart_requested(self) -> bool:
        """Whether Home Assistant exited to be restarted (Settings → Restart, for example)."""
        return any(
            name == "home-assistant" and process.returncode == RESTART_EXIT_CODE
            for name, process, _ in self._processes
        )

    def restart_home_assistant(self) -> None:
        """Start Home Assistant again after it exited for a restart; wait until it runs."""
        for index, (name, process, log) in enumerate(self._processes):
            if name == "home-assistant" and process.poll() is not None:
                log.close()
                del self._processes[index]
                break
        self._spawn("home-assistant", self._home_assistant_argv())
        deadline = time.monotonic() + self.startup_timeout
        self._wait(deadline, "Home Assistant's HTTP server", self._http_up)
        self.tokens = self._tokens(self._login_code())
        self._wait(deadline, "Home Assistant to run", self._running)

    def _home_assistant_argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "homeassistant",
            "--config",
            str(self.config_dir),
            "--skip-pip",
        ]

    def _spawn(self, name: str, argv: list[str]) -> None:
        log_name = "simulator.log" if name == "simulator" else "home-assistant.out"
        log = (self.log_dir / log_name).open("wb")
        # Not measured by the test run's coverage: these processes are the stack, not tests.
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("COV_CORE_", "COVERAGE_"))
        }
        env["PYTHONUNBUFFERED"] = "1"
        try:
            process = subprocess.Popen(  # noqa: S603
                argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        except BaseException:
            log.close()
            raise
        self._processes.append((name, process, log))

    def _wait(self, deadline: float, what: str, ready: Callable[[], bool]) -> None:
        """Poll ``ready`` until it holds; fail early if a process died."""
        while True:
            for name, process, _ in self._processes:
                if process.poll() is not None:
                    raise StackError(
                        f"{name} exited with code {process.returncode} while waiting for "
                        f"{what}; see its output in {self.log_dir}"
                    )
            try:
                if ready():
                    return
            except OSError, urllib.error.URLError, ValueError:
                pass
            if time.monotonic() > deadline:
                raise StackError(f"timed out waiting for {what}; see the logs in {self.log_dir}")
            time.sleep(0.25)

    # ---------------------------------------------------------------- Home Assistant
    def _http_up(self) -> bool:
        """Whether Home Assistant answers HTTP, with any status.

        (Not an API path: a request without a token there counts as a failed login.)
        """
        with contextlib.suppress(urllib.error.HTTPError):
            _request(f"{self.base_url}/manifest.json")
        return True

    def _onboarding_done(self) -> set[str]:
        """The onboarding steps done (Home Assistant removes the API once all are)."""
        try:
            status = _request(f"{self.base_url}/api/onboarding")
        except urllib.error.HTTPError as err:
            if err.code == HTTPStatus.NOT_FOUND:
                return {"user", "core_config", "analytics", "integration"}
            raise
        return {step["step"] for step in status if step["done"]}

    def _running(self) -> bool:
        assert self.tokens is not None
        config = _request(f"{self.base_url}/api/config", token=self.tokens.access_token)
        return bool(config.get("state") == "RUNNING")

    def confirm_http_config(self) -> None:
        """Confirm the HTTP settings of configuration.yaml (first start only).

        Home Assistant moves them to its storage as a "pending" configuration on the first
        start and, unless it is confirmed within 5 minutes, restarts with the default one
        (port 8123 on every interface). Once confirmed, the YAML section is dropped and
        the repair issue about it (it is deprecated) dismissed.
        """
        assert self.tokens is not None
        token = self.tokens.access_token
        (config,) = websocket_calls_blocking(self.base_url, token, {"type": "http/config"})
        if config["active_config_type"] != "pending":
            return
        websocket_calls_blocking(self.base_url, token, {"type": "http/config/promote"})
        self._write_config(with_http=False)
        (issues,) = websocket_calls_blocking(self.base_url, token, {"type": "repairs/list_issues"})
        for issue in issues["issues"]:
            if issue["domain"] == "http" and issue["issue_id"] == "deprecated_yaml":
                websocket_calls_blocking(
                    self.base_url,
                    token,
                    {
                        "type": "repairs/ignore_issue",
                        "domain": "http",
                        "issue_id": "deprecated_yaml",
                        "ignore": True,
                    },
                )

    def onboard(self) -> Tokens:
        """Create the user (first run) and finish onboarding; log in; the user's tokens."""
        done = self._onboarding_done()
        if "user" in done:
            code = self._login_code()
        else:
            answer = _request(
                f"{self.base_url}/api/onboarding/users",
                json_body={
                    "client_id": self.client_id,
                    "name": "Developer",
                    "username": USERNAME,
                    "password": PASSWORD,
                    "language": "en",
                },
            )
            code = answer["auth_code"]
        tokens = self._tokens(code)
        auth = tokens.access_token
        if "core_config" not in done:
            _request(f"{self.base_url}/api/onboarding/core_config", json_body={}, token=auth)
        if "analytics" not in done:
            _request(f"{self.base_url}/api/onboarding/analytics", json_body={}, token=auth)
        if "integration" not in done:
            _request(
                f"{self.base_url}/api/onboarding/integration",
                json_body={"client_id": self.client_id, "redirect_uri": f"{self.base_url}/"},
                token=auth,
            )
        return tokens

    def _login_code(self) -> str:
        """An authorization code through the login flow of the local user."""
        flow = _request(
            f"{self.base_url}/auth/login_flow",
            json_body={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base_url}/",
            },
        )
        answer = _request(
            f"{self.base_url}/auth/login_flow/{flow['flow_id']}",
            json_body={"client_id": self.client_id, "username": USERNAME, "password": PASSWORD},
        )
        if answer.get("type") != "create_entry":
            raise StackError(f"cannot log in as {USERNAME!r}: {answer}")
        code: str = answer["result"]
        return code

    def _tokens(self, code: str) -> Tokens:
        answer = _request(
            f"{self.base_url}/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        return Tokens(answer["access_token"], answer["refresh_token"], int(answer["expires_in"]))


SITE_TITLES = {
    "demo": "PV, two ECUs, six inverters and a meter",
    "storage": "PV and a battery",
    "storage-only": "a battery charged by PV of another brand",
    "subuser": "PV shared with a sub-user",
}
"""What each site of ``--site`` is, for the banner."""


def banner(stack: Stack) -> str:
    """What a developer needs to try the integration."""
    return "\n".join(
        (
            "",
            "Home Assistant with APsystems EMA (OpenAPI) and a simulated APsystems account",
            f"(the {stack.site} site: {SITE_TITLES.get(stack.site, stack.site)}).",
            f"  Open:        {stack.base_url}  (user {USERNAME!r}, password {PASSWORD!r})",
            "  Then:        Settings → Devices & services → Add integration → APsystems",
            "  and enter:",
            f"    App ID:     {DEMO_APP_ID}",
            f"    App Secret: {DEMO_APP_SECRET}",
            f"    SID:        {stack.sid()}",
            f"    Server URL: {stack.sim_url}",
            f"  Config and logs: {stack.config_dir}",
            "Ctrl-C stops both.",
        )
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.e2e.stack``: run the stack until Ctrl-C (or SIGTERM)."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Run the APsystems OpenAPI simulator and Home Assistant with the integration.",
    )
    parser.add_argument("--config", type=Path, default=REPO / ".dev" / "config")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port")
    parser.add_argument("--sim-port", type=int, default=8999, help="the simulator's port")
    parser.add_argument(
        "--noon",
        action="store_true",
        help="move the site (and the home) to where it is about noon now",
    )
    parser.add_argument(
        "--site",
        choices=sorted(SITES),
        default="demo",
        help="the simulated system: demo (PV), storage (PV and battery), "
        "storage-only (battery), subuser (shared with a sub-user)",
    )
    parser.add_argument(
        "--latitude",
        type=float,
        help="move the site (and the home) to this latitude, e.g. -33.9 where November is summer",
    )
    args = parser.parse_args(argv)

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    # Also when started with SIGINT ignored (in the background of a non-interactive shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    stack = Stack(
        args.config.resolve(),
        port=args.port,
        sim_port=args.sim_port,
        noon=args.noon,
        site=args.site,
        latitude=args.latitude,
    )
    print(f"Starting the simulator and Home Assistant (logs in {stack.log_dir}) ...", flush=True)  # noqa: T201
    try:
        with stack:
            print(banner(stack), flush=True)  # noqa: T201
            while True:
                while stack.running():
                    time.sleep(0.5)
                if not stack.restart_requested():
                    break
                print("Home Assistant restarts ...", flush=True)  # noqa: T201
                stack.restart_home_assistant()
                print(f"Home Assistant runs again at {stack.base_url}", flush=True)  # noqa: T201
            print("A process exited; stopping.", file=sys.stderr)  # noqa: T201
            sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)  # noqa: T201
    except StackError as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        sys.exit(1)


if __name__ == "__main__":
    main()
