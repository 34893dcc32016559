"""Latency from an urgent text to the coordinator's alert SMS, through the whole service.

Starts a real Redis, a TwilioSink (as Twilio), the app over HTTP (werkzeug, threaded) and one
`python -m helpline worker` process; posts N signed urgent texts to /sms, each from its own number,
and measures per item the time from the webhook's answer to the sink receiving the coordinator SMS
(the sink's request `time`). Prints p50, p99, max and count; no asserts. Target: p99 < 500 ms.

    python bench/bench_alert_latency.py [--count 200] [--interval 0.02]
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from helpline import create_app  # noqa: E402
from helpline.redis_server import RedisProcess  # noqa: E402
from helpline.twilio_sink import TwilioSink  # noqa: E402
from tests.twilio_clients import Texter  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC_URL = "https://helpline.example.org"
INSTITUTION = """[institution]
name = "CHU Bench"
[[coordinators]]
name = "Camille Martin"
phone = "+33611111111"
[[coordinators]]
name = "Alex Durand"
phone = "+33622222222"
locale = "en"
[alerts]
escalate_after_seconds = 3600
first_call_after_seconds = 3600
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def display(number: str) -> str:
    national = "0" + number[3:]
    return " ".join(national[i:i + 2] for i in range(0, 10, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.02, help="pause between two texts (seconds)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
    tmp = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    (tmp / "institution.toml").write_text(INSTITUTION, encoding="utf-8")
    with RedisProcess(persistent=False) as redis_server, TwilioSink() as sink:
        settings = {"REDIS_URL": redis_server.url, "TWILIO_AUTH_TOKEN": TOKEN, "HELPLINE_PUBLIC_URL": PUBLIC_URL,
                    "HELPLINE_DATA_DIR": str(tmp / "data"), "HELPLINE_CONFIG": str(tmp / "institution.toml"),
                    "HELPLINE_SECRET_KEY": "bench-secret", "TWILIO_API_BASE_URL": sink.url,
                    "HELPLINE_LOG_LEVEL": "WARNING"}
        app = create_app(dict(settings))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        worker = subprocess.Popen([sys.executable, "-m", "helpline", "worker", "--name", "bench"], cwd=ROOT,
                                  env={**os.environ, **settings}, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while not app.extensions["helpline.redis"].exists("hl:worker:bench"):
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit("the worker did not start")
                time.sleep(0.05)
            answered: dict[str, float] = {}
            webhook_ms: list[float] = []
            for i in range(args.count):
                number = f"+3361{i:07d}"
                texter = Texter(base, PUBLIC_URL, TOKEN, number=number)
                started = time.time()
                response = texter.send("je veux mourir, je n'en peux plus")
                answered[display(number)] = time.time()
                webhook_ms.append((answered[display(number)] - started) * 1000)
                if response.status_code != 200:
                    print(f"webhook answered {response.status_code} for text {i}", file=sys.stderr)
                time.sleep(args.interval)
            deadline = time.monotonic() + 30
            while len(sink.messages("+33611111111")) < args.count and time.monotonic() < deadline:
                time.sleep(0.05)
            latencies = []
            for message in sink.messages("+33611111111"):
                body = message["params"]["Body"]
                key = next((k for k in answered if k in body), None)
                if key:
                    latencies.append((message["time"] - answered[key]) * 1000)
        finally:
            worker.terminate()
            worker.wait(15)
            server.shutdown()
    print(f"urgent texts posted: {args.count}, alerts received by the sink: {len(latencies)}")
    print(f"webhook answer (ms):        p50 {statistics.median(webhook_ms):7.1f}  "
          f"p99 {percentile(webhook_ms, 0.99):7.1f}  max {max(webhook_ms):7.1f}")
    if latencies:
        print(f"answer -> alert SMS (ms):   p50 {statistics.median(latencies):7.1f}  "
              f"p99 {percentile(latencies, 0.99):7.1f}  max {max(latencies):7.1f}  count {len(latencies)}")
    print("target: p99 < 500 ms")


if __name__ == "__main__":
    main()
