"""Load on ``POST /api/ask`` and ``POST /api/chat``: throughput, latency percentiles, errors and memory.

Starts its own server (``privacy-assistant serve``) on 127.0.0.1, a free port and a data folder of its
own, and sends traffic only there. Every round is bounded in requests and in time, and the server is
stopped at the end. The per-client rate limit is off for the benchmark's server: all its traffic comes
from one address.

    .venv/bin/python bench/load_ask.py                                  # ask and chat at 1, 8, 32 and 64
    .venv/bin/python bench/load_ask.py --routes ask --concurrency 8 --seconds 5 --rounds 1
    .venv/bin/python bench/load_ask.py --seconds 60 --rounds 1 --concurrency 8 32 64 --settle 60

Memory is read from /proc: RSS when idle after start-up, the peak under load, and RSS ``--settle``
seconds after the last round (memory a run leaves behind). Any failed request (a non-200 answer or a
transport error) is counted by kind, and the run exits 1: errors are never a performance trade-off.

Targets (issue 20): 0 errors at concurrency 8, 32 and 64 on both routes; RSS idle <= 700 MB and, a
minute after a concurrency-64 run, within 100 MB of idle. The client runs on the same machine as the
server and takes some of its CPU.
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
from collections import Counter
from dataclasses import dataclass, field
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
# Chat turns: questions, greetings and the first turn of a request (which stores a conversation).
CHAT_MESSAGES = [*QUESTIONS[:6], "hello", "Please delete all the data you hold about me"]


@dataclass
class Round:
    route: str
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies)

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


def start_server(port: int, data_dir: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PRIVACY_ASSISTANT_HOST": "127.0.0.1",
        "PRIVACY_ASSISTANT_PORT": str(port),
        "PRIVACY_ASSISTANT_DATA_DIR": str(data_dir),
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


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 600) -> None:
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


def body(route: str, i: int) -> dict:
    if route == "ask":
        return {"question": QUESTIONS[i % len(QUESTIONS)]}
    return {"message": CHAT_MESSAGES[i % len(CHAT_MESSAGES)]}  # a new conversation each turn


async def run_round(url: str, route: str, concurrency: int, seconds: float, max_requests: int) -> Round:
    result = Round(route, concurrency)
    sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        stop_at = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal sent
            i = offset
            while time.perf_counter() < stop_at and sent < max_requests:
                sent += 1
                started = time.perf_counter()
                try:
                    response = await client.post(f"/api/{route}", json=body(route, i))
                    problem = None if response.status_code == 200 else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    problem = type(exc).__name__
                i += concurrency
                if problem is None:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.errors[problem] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        result.seconds = time.perf_counter() - began
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", nargs="+", choices=["ask", "chat"], default=["ask", "chat"])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one round (at most 60)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per concurrency; medians reported")
    parser.add_argument("--max-requests", type=int, default=20000, help="most requests in one round")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--settle", type=float, default=60.0, help="seconds idle before the last RSS")
    args = parser.parse_args()
    seconds = min(args.seconds, 60.0)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = Path(tempfile.mkdtemp(prefix="load_ask-data-"))
    log = data_dir / "server.log"
    print(f"starting the server on {url} (log: {log}) ...", flush=True)
    started = time.perf_counter()
    server = start_server(port, data_dir, log)
    try:
        wait_ready(url, server, log)
        ready = time.perf_counter() - started
        time.sleep(10)  # started and not yet asked anything: the memory a quiet server holds
        idle, _ = rss_mb(server.pid)
        print(f"ready after {ready:.1f} s; RSS idle {idle:.0f} MB", flush=True)
        for route in args.routes:  # warm-up, not reported
            asyncio.run(run_round(url, route, 4, 2.0, 100))
        print(
            f"\n{'route':>5} {'conc':>4} {'round':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
            f" {'p99 ms':>7} {'ok':>6} {'errors':>6}"
        )
        summary: list[list[Round]] = []
        for route in args.routes:
            for concurrency in args.concurrency:
                rounds = []
                for n in range(1, args.rounds + 1):
                    r = asyncio.run(run_round(url, route, concurrency, seconds, args.max_requests))
                    rounds.append(r)
                    print(
                        f"{route:>5} {concurrency:>4} {n:>5} {r.throughput:>7.1f} {r.percentile(50):>7.1f}"
                        f" {r.percentile(95):>7.1f} {r.percentile(99):>7.1f} {r.requests:>6}"
                        f" {sum(r.errors.values()):>6}",
                        flush=True,
                    )
                summary.append(rounds)
        loaded, peak = rss_mb(server.pid)
        print(f"\nwaiting {args.settle:.0f} s idle ...", flush=True)
        time.sleep(args.settle)
        settled, _ = rss_mb(server.pid)

        print(f"\nmedians of {args.rounds} round(s) of {seconds:.0f} s each:")
        print(
            f"{'route':>5} {'conc':>4} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
        )
        errors: Counter = Counter()
        for rounds in summary:
            for r in rounds:
                errors.update({f"{r.route} c{r.concurrency} {kind}": n for kind, n in r.errors.items()})
            print(
                f"{rounds[0].route:>5} {rounds[0].concurrency:>4}"
                f" {statistics.median(r.throughput for r in rounds):>7.1f}"
                f" {statistics.median(r.percentile(50) for r in rounds):>7.1f}"
                f" {statistics.median(r.percentile(95) for r in rounds):>7.1f}"
                f" {statistics.median(r.percentile(99) for r in rounds):>7.1f}"
                f" {sum(sum(r.errors.values()) for r in rounds):>6}"
            )
        print(
            f"server memory: RSS idle {idle:.0f} MB (target <= 700), after the last round {loaded:.0f} MB,"
            f" peak {peak:.0f} MB, {args.settle:.0f} s later {settled:.0f} MB"
            f" ({settled - idle:+.0f} MB against idle; target within 100)"
        )
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
        if errors:
            print("\nFAILED: requests failed: " + ", ".join(f"{k}: {n}" for k, n in sorted(errors.items())))
            print(f"the server log is {log}")
            return 1
        print("\nno failed requests")
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
