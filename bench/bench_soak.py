"""Soak: mixed calls and texts at a steady rate against the production stack, for ten minutes.

gunicorn (two workers), one alert worker, a persistent Redis and the loopback Twilio server run as
child processes (tests/stack.py). A paced generator on loopback plays whole journeys: calls (the
key message, a menu choice, a transfer result), texts (keywords, free text, now and then an urgent
one that the worker alerts). Prints errors (target 0), latency percentiles, and the memory (RSS)
of every process at the start (after a warm-up) and at the end (target growth under 10%).

    python bench/bench_soak.py [--seconds 600] [--rate 40]
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.stack import PUBLIC, TOKEN, Stack  # noqa: E402
from tests.twilio_clients import Caller, Texter  # noqa: E402

TEXTS = ["AIDE", "SPS", "CNOM", "RESSOURCES", "JURIDIQUE", "merci", "ENGLISH", "HELP",
         "Depuis l'incident je ne dors plus, je repense sans cesse a cette nuit.",
         "J'ai peur de la plainte de la famille, je n'ose plus retourner dans le service."]
URGENT = "je n'en peux plus, je veux mourir"
numbers = itertools.count(1)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def processes(stack: Stack) -> dict[str, int]:
    found = {"gunicorn master": stack.children["web"].pid, "redis-server": stack.redis.process.pid}
    for n, pid in enumerate(sorted(stack.web_worker_pids()), start=1):
        found[f"gunicorn worker {n}"] = pid
    for name, child in stack.children.items():
        if name.startswith("worker"):
            found[f"alert {name}"] = child.pid
    return found


class Journeys:
    """One journey per tick; records each request's latency and any error."""

    def __init__(self, stack: Stack, urgent_every: int):
        self.stack, self.urgent_every = stack, urgent_every
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.count = itertools.count(1)

    def timed(self, send) -> None:
        start = time.perf_counter()
        try:
            response = send()
            ok = response.status_code == 200
            detail = f"HTTP {response.status_code}"
        except Exception as exc:  # noqa: BLE001 - a soak counts every failure, whatever it is
            ok, detail = False, type(exc).__name__
        with self.lock:
            self.latencies.append(time.perf_counter() - start)
            if not ok:
                self.errors.append(detail)

    def call(self) -> None:
        caller = Caller(self.stack.url, PUBLIC, TOKEN, number=f"+3361{next(numbers):07d}")
        self.timed(lambda: caller.post("/voice", caller.params()))
        choice = random.choice(["1", "2", "3", "4", "9", "*"])
        self.timed(lambda: caller.post("/voice/menu?lang=fr", caller.params(Digits=choice)))
        if choice in "12":
            self.timed(lambda: caller.post(f"/voice/dial-result?target={'sps' if choice == '1' else 'cnom'}&lang=fr",
                                           caller.params(DialCallStatus=random.choice(["completed", "busy"]))))

    def text(self) -> None:
        n = next(self.count)
        body = URGENT if n % self.urgent_every == 0 else random.choice(TEXTS)
        texter = Texter(self.stack.url, PUBLIC, TOKEN, number=f"+3362{next(numbers):07d}")
        self.timed(lambda: texter.send(body))

    def one(self) -> None:
        (self.call if random.random() < 0.5 else self.text)()


def run(seconds: int, rate: float, warmup: int) -> None:
    random.seed(7)
    with tempfile.TemporaryDirectory() as data, Stack(Path(data), persistent_redis=True) as stack:
        journeys = Journeys(stack, urgent_every=50)
        pool = ThreadPoolExecutor(max_workers=32)
        start_rss: dict[str, int] = {}
        begin = time.monotonic()
        tick = 0
        while (now := time.monotonic() - begin) < seconds + warmup:
            if not start_rss and now >= warmup:
                start_rss = {name: rss_kb(pid) for name, pid in processes(stack).items()}
                journeys.latencies.clear()
            pool.submit(journeys.one)
            tick += 1
            time.sleep(max(0.0, begin + tick / rate - time.monotonic()))
        pool.shutdown(wait=True)
        end_rss = {name: rss_kb(pid) for name, pid in processes(stack).items()}
        alerts = len([r for r in stack.sink.messages() if r["params"].get("Body", "").startswith("URGENT")])
        lat = sorted(journeys.latencies)
        q = statistics.quantiles(lat, n=1000)
        print(f"soak: {seconds}s after {warmup}s warm-up, {rate:.0f} journeys/s, gunicorn 2 workers, 1 alert worker")
        print(f"requests {len(lat)}  errors {len(journeys.errors)} {sorted(set(journeys.errors))[:5]}")
        print(f"latency ms: p50 {q[499] * 1000:.1f}  p99 {q[989] * 1000:.1f}  p99.9 {q[998] * 1000:.1f}  "
              f"max {lat[-1] * 1000:.1f}")
        print(f"urgent alerts delivered to coordinators: {alerts}")
        print(f"{'process':22} {'RSS start kB':>12} {'RSS end kB':>11} {'growth':>7}")
        for name, before in start_rss.items():
            after = end_rss.get(name, 0)
            growth = (after - before) / before * 100 if before else 0.0
            print(f"{name:22} {before:12d} {after:11d} {growth:6.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--rate", type=float, default=40.0, help="journeys per second")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    run(args.seconds, args.rate, args.warmup)


if __name__ == "__main__":
    main()
