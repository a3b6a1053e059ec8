"""Gunicorn settings for the callback service.

Used by `greenlight run`, or directly: `gunicorn -c python:callback.service.gunicorn_config`.

Everything is read from the environment (or set here), never secrets: those reach the app through
its own settings (GREENLIGHT_SECRET_KEY, TIKTOK_CLIENT_KEY, TIKTOK_CLIENT_SECRET, ...).
"""

import multiprocessing
import os
import socket
import sys

# gevent workers: a connection still sending its headers or body (or waiting on TikTok) holds a greenlet,
# not one of a few threads. Under gthread (4 workers x 2 threads), 8 connections that announced a body and
# then stalled held every thread, and /healthz went unanswered for as long as they stayed; under gevent it
# answers within milliseconds beside 64 of them (tests/test_abuse_gunicorn.py). Set
# GREENLIGHT_WORKER_CLASS=gthread only behind a proxy that buffers whole requests (deploy/nginx.conf).
worker_class = os.environ.get("GREENLIGHT_WORKER_CLASS", "gevent")
if worker_class == "gevent":
    # Patch before the app is built (preload_app): its locks and HTTP client must be gevent's, or a greenlet
    # waiting on a lock that another greenlet of the same worker holds would stall the whole worker.
    try:
        from gevent import monkey
    except ImportError:
        sys.exit("Error: gevent is not installed; run `make setup` (or `pip install -e .`) to install it.")
    monkey.patch_all()

wsgi_app = "callback:create_app()"

# Behind a reverse proxy or tunnel, keep the default loopback bind; set GREENLIGHT_BIND=0.0.0.0:5000 to expose it.
bind = os.environ.get("GREENLIGHT_BIND", "127.0.0.1:" + os.environ.get("PORT", "5000"))
workers = int(os.environ.get("GREENLIGHT_WORKERS", min(4, multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GREENLIGHT_THREADS", "2"))  # gthread only

# A connect may wait on TikTok for HTTP_TIMEOUT x (HTTP_RETRIES + 1) plus backoff (about 45 s with the
# defaults); under gthread the worker timeout must outlast that, or gunicorn kills a worker mid-exchange.
timeout = int(os.environ.get("GREENLIGHT_WORKER_TIMEOUT", "90"))
graceful_timeout = 30
keepalive = 5

# Build the app once in the master: a missing secret stops the start with one clear message.
preload_app = True

# Each worker listens on its own SO_REUSEPORT socket, and the kernel spreads new connections evenly over
# them. On one shared socket, whichever worker wakes first takes a burst of keep-alive connections (27 of
# 32 was measured), and that worker is held to one core by the GIL while the others idle.
reuse_port = True


def on_starting(server):
    """Refuse a port another server already listens on: with reuse_port, gunicorn would not notice."""
    for address in server.cfg.address:
        if not isinstance(address, tuple):
            continue  # a unix socket: reuse_port does not apply
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are fine
            try:
                probe.bind(address)
            except OSError as exc:
                sys.exit(
                    f"Error: {address[0]}:{address[1]} is in use ({exc.strerror}); is the service "
                    "already running? Stop it or set GREENLIGHT_BIND to another address."
                )


# Trust X-Forwarded-Proto/For only from the local proxy (nginx, caddy, a tunnel client).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("GREENLIGHT_ACCESS_LOG", "-")
errorlog = "-"
# %(U)s is the path WITHOUT the query string: the callback's one-time `code` (and its state) must never land
# in a log. No referer either (%(f)s): it can carry the same query string from another page. No client
# address (%(h)s): the privacy policy lists none kept, and behind a proxy it would only say 127.0.0.1.
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# gunicorn 25+ opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl, one path
# for every gunicorn of that user: a second server takes it over, and stopping either one deletes it. Nothing
# here uses it (systemd and signals manage the service), so no socket is opened at all.
control_socket_disable = True
