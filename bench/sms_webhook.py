"""The SMS webhook under load: gunicorn (2 workers), PostgreSQL and Redis.

Posts 5,000 signed replies from 32 concurrent senders, a tenth of them repeating an earlier
MessageSid as Twilio sometimes does, and measures /health the same way in the same run.
Prints replies/s and p50/p99 latency for each, and the replies lost or double-counted
(both must be 0). Goal: the webhook sustains at least a quarter of /health's throughput.

    .venv/bin/python bench/sms_webhook.py [--replies 5000] [--senders 32]
"""

import argparse
import os
import random
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import requests
from _server import REDIS_URL, flask, fresh_database, gunicorn, percentile
from redis import Redis

from sms.signature import SIGNATURE_HEADER, sign
from sms.standin import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN


def timed(jobs, senders: int):
    """Run the requests from `senders` threads; (seconds taken, [(latency, status)])."""
    def run(job):
        session, method = job.pop("session"), job.pop("method")
        started = time.perf_counter()
        response = session.request(method, **job, timeout=30)
        return time.perf_counter() - started, response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        results = list(pool.map(run, jobs))
    return time.perf_counter() - started, results


def report(name: str, elapsed: float, results) -> float:
    latencies = [r[0] * 1000 for r in results]
    bad = sum(1 for r in results if r[1] != 200)
    rate = len(results) / elapsed
    print(f"{name:>8}: {len(results)} requests in {elapsed:.1f} s = {rate:.0f}/s, "
          f"p50 {percentile(latencies, .5):.1f} ms, p99 {percentile(latencies, .99):.1f} ms, "
          f"non-200: {bad}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=32)
    args = parser.parse_args()
    Redis.from_url(REDIS_URL).flushdb()
    with fresh_database() as database_url:
        env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": database_url,
               "REDIS_URL": REDIS_URL, "PUBLIC_BASE_URL": "http://bench.invalid"}
        flask(env, "db", "upgrade")
        with gunicorn(env) as base:
            sessions = [requests.Session() for _ in range(args.senders)]
            url = "http://bench.invalid/sms/inbound"  # the public URL Twilio signs
            sids: list[str] = []
            jobs = []
            for i in range(args.replies):
                if sids and random.random() < 0.1:
                    sid = random.choice(sids)  # Twilio delivering the same message again
                else:
                    sid = "SM" + secrets.token_hex(16)
                    sids.append(sid)
                form = {"MessageSid": sid, "AccountSid": DEV_ACCOUNT_SID,
                        "From": f"+4477009{random.randint(0, 99999):05d}",
                        "To": "+447700900000", "Body": random.choice(["1", "2", "STOP", "x"]),
                        "NumMedia": "0"}
                jobs.append({"session": sessions[i % args.senders], "method": "POST",
                             "url": f"{base}/sms/inbound",
                             "data": form,
                             "headers": {SIGNATURE_HEADER: sign(DEV_AUTH_TOKEN, url, form)}})
            health_jobs = [{"session": sessions[i % args.senders], "method": "GET",
                            "url": f"{base}/health"} for i in range(args.replies)]
            webhook = report("webhook", *timed(jobs, args.senders))
            health = report("/health", *timed(health_jobs, args.senders))
        with psycopg.connect(database_url) as conn:
            stored = conn.execute("SELECT count(*), count(DISTINCT message_sid) FROM sms_messages"
                                  " WHERE direction = 'in'").fetchone()
    queued = Redis.from_url(REDIS_URL).llen("rq:queue:sms")
    print(f"  unique replies sent: {len(set(sids))}, stored: {stored[1]}, "
          f"lost: {len(set(sids)) - stored[1]}, double-counted: {stored[0] - stored[1]}, "
          f"processing jobs queued: {queued}")
    print(f"  webhook throughput is {webhook / health:.0%} of /health's (goal: at least 25%)")
    Redis.from_url(REDIS_URL).flushdb()


if __name__ == "__main__":
    main()
