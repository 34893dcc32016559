"""Webhook throughput and latency under gunicorn, against a bare Flask endpoint in the same run.

Both apps run under the same gunicorn settings on loopback, one after the other, loaded by the same
generator (wrk when installed, else a Python generator) at the same concurrency. Our endpoints do
everything they do in production: signature check, Redis, the detector for SMS, TwiML building.

    python bench/bench_webhooks.py [--seconds 10] [--rounds 3] [--connections 16]

Each case is run `rounds` times against each server, the two taking turns; the ratio printed is
the median of the per-round ratios, followed by each round's.
"""
from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from helpline.redis_server import RedisProcess, free_port  # noqa: E402

TOKEN = "bench-token-0123456789"
PUBLIC = "https://helpline.example.org"
SMS_BODIES = ["AIDE", "SPS", "RESSOURCES", "merci pour les numeros",
              "Depuis l'erreur de dose je ne dors plus, je repense a cette nuit tout le temps.",
              "J'ai peur d'etre convoquee par la direction apres l'incident de mardi, je n'arrive plus a manger."]


def voice_incoming(i: int) -> dict:
    return {"CallSid": f"CA{i:032x}", "From": f"+336{i % 10**8:08d}", "To": "+33100000000", "CallStatus": "ringing"}


def voice_menu(i: int) -> dict:
    return {"CallSid": f"CA{i:032x}", "From": f"+336{i % 10**8:08d}", "Digits": "1"}


def sms_text(i: int) -> dict:
    # A new MessageSid each time (a repeated one is answered from the cache), a new sender every
    # five messages (the rate limit is ten a minute per sender), a mix of keywords and free text.
    return {"MessageSid": f"SM{i:032x}", "From": f"+337{i // 5 % 10**8:08d}", "To": "38383",
            "Body": SMS_BODIES[i % len(SMS_BODIES)], "NumMedia": "0"}


CASES = {
    "voice /voice (new call: key message + menu)": ("/voice", voice_incoming),
    "voice /voice/menu (key 1 -> SPS)": ("/voice/menu?lang=fr", voice_menu),
    "sms /sms (keywords and free text, detector)": ("/sms", sms_text),
}
REQUESTS_PER_CASE = 60_000


def gunicorn(app_spec: str, port: int, env: dict, threads: int, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--threads", str(threads), "--log-level", "warning", app_spec]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nope", timeout=1)
        except urllib.error.HTTPError:
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gunicorn did not start: {proc.stderr.read().decode()[-800:]}")


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_run(url: str, path: str, signed: list[tuple[str, str]], seconds: int, connections: int) -> dict:
    """wrk sends a different signed request each time, from a table written into its script."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write("local bodies = {" + ",".join(lua_string(b) for b, _ in signed) + "}\n")
    script.write("local sigs = {" + ",".join(lua_string(g) for _, g in signed) + "}\n")
    script.write(f"local path = {lua_string(path)}\n" + """
local n, i = #bodies, 0
function init(args) i = math.random(n) end
function request()
  i = i % n + 1
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["X-Twilio-Signature"] = sigs[i]}, bodies[i])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %f %f\\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
""")
    script.close()
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "-s", script.name, url],
                         capture_output=True, text=True).stdout
    os.unlink(script.name)
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT"))
    n, status_errors, socket_errors, duration_us, p50, p99 = line.split()[1:]
    return {"requests": int(n), "errors": int(status_errors) + int(socket_errors),
            "rps": int(n) / (float(duration_us) / 1e6), "p50": float(p50) / 1000, "p99": float(p99) / 1000}


def python_run(url: str, path: str, signed: list[tuple[str, str]], seconds: int, connections: int) -> dict:
    latencies: list[float] = []
    counter = itertools.count()
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def loop():
        mine = []
        while time.monotonic() < stop:
            body, signature = signed[next(counter) % len(signed)]
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(urllib.request.Request(url + path, data=body.encode(), headers=headers),
                                            timeout=5) as r:
                    r.read()
                mine.append(time.perf_counter() - start)
            except OSError:
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    begin = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "errors": errors[0], "rps": len(latencies) / (time.monotonic() - begin),
            "p50": q[49] * 1000, "p99": q[98] * 1000}


def measure(base: str, path: str, make_params, seconds: int, connections: int, offset: int = 0) -> dict:
    """One run of `seconds` against one server; `offset` gives the run its own MessageSids, CallSids
    and senders (a repeated MessageSid is answered from the reply cache, which costs less)."""
    validator = RequestValidator(TOKEN)
    signed = []
    for i in range(offset, offset + REQUESTS_PER_CASE):
        params = make_params(i)
        signed.append((urllib.parse.urlencode(params), validator.compute_signature(PUBLIC + path, params)))
    body, signature = signed[-1]
    check = urllib.request.urlopen(urllib.request.Request(base + path, data=body.encode(), headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}), timeout=5)
    assert check.status == 200, check.status
    run = wrk_run if shutil.which("wrk") else python_run
    return run(base, path, signed, seconds, connections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of one run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs per case and server, the two servers taking turns (the ratio is the median)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    generator = "wrk" if shutil.which("wrk") else "python threads (install wrk for a lighter load generator)"
    print(f"load generator: {generator}; {args.connections} connections, {args.rounds} rounds of {args.seconds}s "
          f"per case and server, gunicorn {args.workers} workers x {args.threads} thread(s), {os.cpu_count()} cores")
    with RedisProcess(persistent=False) as redis_server, tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "REDIS_URL": redis_server.url, "TWILIO_AUTH_TOKEN": TOKEN, "HELPLINE_PUBLIC_URL": PUBLIC,
               "HELPLINE_DATA_DIR": data, "HELPLINE_CONFIG": str(ROOT / "tests/data/institution.toml"),
               "HELPLINE_LOG_LEVEL": "INFO", "HELPLINE_SECRET_KEY": "bench"}
        # Both servers stay up and take turns, run after run: a machine whose speed drifts over the
        # minutes (other processes, CPU frequency) then weighs on both sides of each ratio alike.
        servers = {}
        try:
            for label, spec in (("helpline", "helpline:create_app()"), ("bare", "bench.bare_app:app")):
                port = free_port()
                servers[label] = (gunicorn(spec, port, env, args.threads, args.workers), f"http://127.0.0.1:{port}")
            runs: dict[tuple[str, str], list[dict]] = {}
            for case, (path, make_params) in CASES.items():
                for r in range(args.rounds):
                    order = ("helpline", "bare") if r % 2 == 0 else ("bare", "helpline")
                    for label in order:
                        target = path if label == "helpline" else path.split("?")[0].replace("/voice/menu", "/voice")
                        runs.setdefault((label, case), []).append(measure(
                            servers[label][1], target, make_params, args.seconds, args.connections,
                            offset=r * REQUESTS_PER_CASE))
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(10)
    print(f"{'case':38} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>6}  ratio per round")
    for case in CASES:
        ours, bare = runs[("helpline", case)], runs[("bare", case)]
        ratios = [o["rps"] / b["rps"] for o, b in zip(ours, bare)]
        for label, rs in (("helpline " + case, ours), ("bare     " + case.split()[0], bare)):
            mid = sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]       # the median run
            ratio = f"{statistics.median(ratios):.2f}" if rs is ours else ""
            each = "  " + " ".join(f"{x:.2f}" for x in ratios) if rs is ours else ""
            print(f"{label:38.38} {mid['rps']:8.0f} {mid['p50']:8.2f} {mid['p99']:8.2f} "
                  f"{sum(r['errors'] for r in rs):7d} {ratio:>6}{each}")

if __name__ == "__main__":
    main()
