"""gunicorn settings for production: `gunicorn wsgi:app` reads this file by itself."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two per core plus one is gunicorn's own rule of thumb for sync workers.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Seconds. Well under Twilio's 15 s webhook wait, so a stuck request is cut off first.
timeout = 10
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Trust X-Forwarded-* only from the reverse proxy on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
# No client address (%(h)s) and no query string: feedback is anonymous, and the access log
# must not make it otherwise. Method, path, status, bytes, duration (microseconds), agent.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(D)s "%(a)s"'
