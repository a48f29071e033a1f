"""Benchmark: how long the product takes to start, and how long each command takes.

Measures, on a fresh data folder and a fresh cache (the first run on a machine) and then again on the
same folders (every later start):
- `serve`: seconds until /readyz answers 200;
- `ask` while that server runs (it answers), `ask --local` (loads the model), `requests list` and
  `corpus list`: wall seconds per command, medians over rounds.

Run: .venv/bin/python bench/startup.py [--rounds 3]
The machine is shared and noisy: compare medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

QUESTION = "How long do you keep my data?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(data: Path, cache: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PRIVACY_ASSISTANT_DATA_DIR": str(data),
        "PRIVACY_ASSISTANT_CACHE_DIR": str(cache),
        "PRIVACY_ASSISTANT_PORT": str(port),
    }


def ready_seconds(env: dict[str, str], port: int, log: Path) -> tuple[float, subprocess.Popen]:
    """Start `serve`; seconds until /readyz answers 200, and the running process."""
    start = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    while True:
        if process.poll() is not None:
            raise SystemExit(f"serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return time.perf_counter() - start, process
        except httpx.TransportError:
            pass
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def command_seconds(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], env=env, check=True, capture_output=True, timeout=600
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each command (default 3)")
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        data, cache, port = Path(scratch) / "data", Path(scratch) / "cache", free_port()
        env = environment(data, cache, port)
        log = Path(scratch) / "serve.log"
        first, process = ready_seconds(env, port, log)
        rows.append(("serve, first run (fresh data and cache): ready after", first))
        stop(process)
        later = []
        for _ in range(args.rounds):
            seconds, process = ready_seconds(env, port, log)
            later.append(seconds)
            stop(process)
        rows.append(("serve, later starts: ready after (median)", statistics.median(later)))
        seconds, process = ready_seconds(env, port, log)
        try:
            through_server = [command_seconds(env, "ask", QUESTION) for _ in range(args.rounds)]
        finally:
            stop(process)
        rows.append(("ask, a server running (median)", statistics.median(through_server)))
        rows.append(
            (
                "ask --local (median)",
                statistics.median(
                    command_seconds(env, "ask", QUESTION, "--local") for _ in range(args.rounds)
                ),
            )
        )
        rows.append(
            (
                "requests list (median)",
                statistics.median(command_seconds(env, "requests", "list") for _ in range(args.rounds)),
            )
        )
        rows.append(
            (
                "corpus list (median)",
                statistics.median(command_seconds(env, "corpus", "list") for _ in range(args.rounds)),
            )
        )
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
