"""A real server and a real browser for the respondent journey tests.

The waves are opened with the CLI in a process that has the key-encryption key; the server is then
started without it (SURVEY_KEY_FILE unset), as in production, where the web process holds only
public keys and the case key. Debian's chromium is driven through Playwright's sync API; Playwright's
own browser download is never used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SURVEY_APP = str(Path(sys.executable).with_name("survey-app"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTRUMENTS = ["nhs-staff-survey", "bank-temporary-workers", "lived-experience"]
ORGANISATION = "Barts Health"


@dataclass(frozen=True)
class Server:
    base_url: str
    slugs: dict[str, str]
    # The server's stdout and stderr.
    log: Path

    def landing(self, instrument: str) -> str:
        return f"{self.base_url}/s/{self.slugs[instrument]}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([SURVEY_APP, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"survey-app {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not start:\n{log.read_text()}")


@contextmanager
def running_server(env: dict[str, str], folder: Path, cwd: Path) -> Iterator[str]:
    """`survey-app serve` on a free port with this environment, logging to folder/server.log;
    yields its base URL and stops it afterwards."""
    port = _free_port()
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [SURVEY_APP, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base_url}/healthz", process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    operator = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'survey.db'}",
        "SURVEY_KEY_FILE": str(folder / "keys" / "kek.key"),
        "SURVEY_CASE_KEY_FILE": str(folder / "keys" / "case.key"),
    }
    _cli(operator, "keys", "init")
    _cli(operator, "db", "upgrade")
    _cli(operator, "org", "add", "--headcount", "1000", "--name", ORGANISATION, "--slug", "barts")
    slugs = {instrument: f"barts-{instrument}" for instrument in INSTRUMENTS}
    for instrument, slug in slugs.items():
        _cli(operator, "wave", "open", "--instrument", instrument, "--org", "barts", "--slug", slug)

    web = {name: value for name, value in operator.items() if name != "SURVEY_KEY_FILE"}
    with running_server(web, folder, cwd=ROOT) as base_url:
        yield Server(base_url, slugs, folder / "server.log")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed ('make chromium' installs it)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
