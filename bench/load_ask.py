"""Load on ``POST /api/ask``: throughput and latency percentiles at concurrency 1, 8 and 32.

Starts its own server (``privacy-assistant serve``) on 127.0.0.1 and a free port, and sends traffic
only there. Every run is bounded in requests and in time, and the server is stopped at the end.
The per-client rate limit is off for the benchmark's server: all its traffic comes from one address.

    .venv/bin/python bench/load_ask.py                 # 3 rounds of 10 s per concurrency
    .venv/bin/python bench/load_ask.py --seconds 5 --rounds 1

Targets (issue 5): >= 40 requests/s at concurrency 8 with p95 <= 250 ms and no errors; server RSS
under 1.5 GB. The client runs on the same machine as the server and takes some of its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# Visitors' questions: most answerable, some not (abstentions cost the same search).
QUESTIONS = [
    "How long do you keep my data?",
    "Do you sell my personal information?",
    "Can I get a copy of my data?",
    "How do I delete my account data?",
    "Do you use cookies?",
    "Who is the data controller?",
    "Do you share my data with third parties?",
    "How do I unsubscribe from marketing e-mails?",
    "Is my data transferred outside the EU?",
    "What is the capital of France?",
    "Do you collect information from children?",
    "How can I complain to a supervisory authority?",
]


@dataclass
class Round:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of ``pid`` in MB (from /proc)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def start_server(port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PRIVACY_ASSISTANT_HOST": "127.0.0.1",
        "PRIVACY_ASSISTANT_PORT": str(port),
        "PRIVACY_ASSISTANT_RATE_LIMIT": "0",
        "HF_HUB_OFFLINE": "1",
    }
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready within {timeout:.0f} s")


async def run_round(url: str, concurrency: int, seconds: float, max_requests: int) -> Round:
    latencies: list[float] = []
    errors = 0
    sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        stop_at = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal errors, sent
            i = offset
            while time.perf_counter() < stop_at and sent < max_requests:
                sent += 1
                question = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                started = time.perf_counter()
                try:
                    response = await client.post("/api/ask", json={"question": question})
                    ok = response.status_code == 200 and "citations" in response.json()
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - began
    return Round(concurrency, len(latencies), errors, elapsed, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one round (bounded)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per concurrency; medians reported")
    parser.add_argument("--max-requests", type=int, default=5000, help="most requests in one round")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    seconds = min(args.seconds, 60.0)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="load_ask-", suffix=".log")[1])
    print(f"starting the server on {url} (log: {log}) ...", flush=True)
    started = time.perf_counter()
    server = start_server(port, log)
    try:
        wait_ready(url, server, log)
        print(
            f"ready after {time.perf_counter() - started:.1f} s; RSS {rss_mb(server.pid)[0]:.0f} MB",
            flush=True,
        )
        asyncio.run(run_round(url, 4, 2.0, 200))  # warm-up, not reported
        print(
            f"\n{'conc':>4} {'round':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'ok':>6} {'errors':>6}"
        )
        summary = []
        for concurrency in args.concurrency:
            rounds = []
            for n in range(1, args.rounds + 1):
                r = asyncio.run(run_round(url, concurrency, seconds, args.max_requests))
                rounds.append(r)
                print(
                    f"{concurrency:>4} {n:>5} {r.throughput:>7.1f} {r.percentile(50):>7.1f} {r.percentile(95):>7.1f}"
                    f" {r.percentile(99):>7.1f} {r.requests:>6} {r.errors:>6}",
                    flush=True,
                )
            summary.append((concurrency, rounds))
        rss, peak = rss_mb(server.pid)
        print(f"\nmedians of {args.rounds} round(s) of {seconds:.0f} s each:")
        print(f"{'conc':>4} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}")
        for concurrency, rounds in summary:
            print(
                f"{concurrency:>4} {statistics.median(r.throughput for r in rounds):>7.1f}"
                f" {statistics.median(r.percentile(50) for r in rounds):>7.1f}"
                f" {statistics.median(r.percentile(95) for r in rounds):>7.1f}"
                f" {statistics.median(r.percentile(99) for r in rounds):>7.1f}"
                f" {sum(r.errors for r in rounds):>6}"
            )
        print(f"server memory: RSS {rss:.0f} MB now, peak {peak:.0f} MB (target < 1536 MB)")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
