"""Launching the app: the command line of ``app.py``, the loopback-or-login rule, the server's limits."""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import logging
import os
import sys
import threading
from pathlib import Path

import gradio as gr

from qa.cli.common import add_store_option, open_assistant
from qa.settings import get_settings
from qa.store.errors import StoreError
from qa.ui.page import build_app, make_theme

log = logging.getLogger("qa.ui")

CSS_PATH = Path(__file__).with_name("style.css")
ENV_USER, ENV_PASSWORD = "QA_UI_USER", "QA_UI_PASSWORD"


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_from_env(environ=None):
    """A login check from QA_UI_USER / QA_UI_PASSWORD, or None when they are not both set."""
    environ = os.environ if environ is None else environ
    user, password = environ.get(ENV_USER), environ.get(ENV_PASSWORD)
    if not user or not password:
        return None

    def check(given_user: str, given_password: str) -> bool:
        ok_user = hmac.compare_digest(given_user.encode(), user.encode())
        ok_password = hmac.compare_digest(given_password.encode(), password.encode())
        return ok_user and ok_password

    return check


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = 7860, auth=None,
           max_file_mb: float | None = None, quiet: bool = True, prevent_thread_lock: bool = True):
    """Start the server with the app's theme, CSS and limits; returns (app, local_url)."""
    max_file_mb = max_file_mb if max_file_mb is not None else get_settings().max_file_mb
    app, local_url, _ = demo.launch(
        server_name=host, server_port=port, auth=auth, auth_message="newsdesk QA: sign in to continue.",
        max_file_size=int(max_file_mb * 1_000_000), share=False, inbrowser=False, quiet=quiet,
        prevent_thread_lock=prevent_thread_lock, show_error=False, theme=make_theme(), css_paths=[CSS_PATH],
        footer_links=["api"], enable_monitoring=False, mcp_server=False, pwa=False, ssr_mode=False,
        run_history=False,
    )
    return app, local_url


def _warm_up(assistant) -> None:
    """Load the local model in the background so that the first answer does not wait for it."""
    try:
        llm = assistant.llm
        if hasattr(llm, "count_tokens"):
            llm.count_tokens("warm up")
    except Exception as exc:  # noqa: BLE001  (reported to the user when they ask)
        log.warning("language model not ready: %s", exc)


def log_to_file(folder: Path) -> Path | None:
    """The app's errors and warnings go to ``folder/app.log`` (rotated at 1 MB, 3 kept): messages and stack
    traces, never an article's text or a setting's value. Returns the file, or None when it cannot be written."""
    from logging.handlers import RotatingFileHandler

    path = folder / "app.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    for name in ("qa", "gradio", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(min(logger.level or logging.INFO, logging.INFO))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="newsdesk QA web app (local, offline).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("QA_UI_PORT", "7860")),
                        help="port (default 7860)")
    add_store_option(parser)
    parser.add_argument("--insecure-no-login", action="store_true",
                        help=f"allow listening on a non-loopback address without a login ({ENV_USER} / "
                             f"{ENV_PASSWORD})")
    args = parser.parse_args(argv)

    auth = auth_from_env()
    if not is_loopback(args.host) and auth is None and not args.insecure_no_login:
        print(f"Refusing to listen on {args.host} without a login: anyone on the network could read and change "
              f"the articles. Set {ENV_USER} and {ENV_PASSWORD}, or pass --insecure-no-login if you really mean it.",
              file=sys.stderr)
        return 2

    assistant = open_assistant(args)
    settings = assistant.settings
    try:
        stats = assistant.stats()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    log_file = log_to_file(settings.cache_dir / "logs")
    demo = build_app(assistant)
    try:
        _, url = launch(demo, host=args.host, port=args.port, auth=auth, max_file_mb=settings.max_file_mb)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"newsdesk QA: {stats['articles']} articles, {stats['chunks']} chunks in {stats['store']}")
    print(f"Model: {stats['llm']}")
    if log_file is not None:
        print(f"Log: {log_file}")
    print(f"Running on {url}" + ("  (login required)" if auth else ""))
    print("Press Ctrl+C to stop.", flush=True)
    # after the lines above: llama.cpp silences this process's stdout and stderr (file descriptors 1 and 2)
    # while it loads a model, so anything printed meanwhile is lost
    threading.Thread(target=_warm_up, args=(assistant,), daemon=True).start()
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0
