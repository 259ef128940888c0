"""Local receivers for automation tests and the docs' demo: a real SMTP server (aiosmtpd) and a
Standard Webhooks receiver (http.server in a thread). Each appends one JSON line per delivery
(``{"kind", "id", ...}``) to a file, so a test can count what arrived, repeats included.

Run both from a shell: ``python tests/automations/receivers.py --smtp 8025 --webhook 8099
--out received.jsonl`` (Ctrl-C stops them).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_write_lock = threading.Lock()


def _append(out: Path, record: dict[str, Any]) -> None:
    with _write_lock, out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


class _SmtpHandler:
    def __init__(self, out: Path) -> None:
        self.out = out

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.original_content or envelope.content)
        text = ""
        for part in mail.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        _append(
            self.out,
            {
                "kind": "email",
                "id": mail["Message-ID"],
                "to": envelope.rcpt_tos,
                "subject": str(mail["Subject"]),
                "list_unsubscribe": mail["List-Unsubscribe"],
                "text": text,
            },
        )
        return "250 OK"


def start_smtp(port: int, out: Path) -> Any:
    """A running aiosmtpd controller on 127.0.0.1:``port`` (``.stop()`` to end it)."""
    from aiosmtpd.controller import Controller

    controller = Controller(_SmtpHandler(out), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def start_webhook(port: int, out: Path) -> ThreadingHTTPServer:
    """A webhook receiver on 127.0.0.1:``port`` recording webhook-id and the body."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            _append(
                out,
                {
                    "kind": "webhook",
                    "id": self.headers.get("webhook-id"),
                    "timestamp": self.headers.get("webhook-timestamp"),
                    "signature": self.headers.get("webhook-signature"),
                    "body": body.decode(),
                },
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def read(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smtp", type=int, default=8025)
    parser.add_argument("--webhook", type=int, default=8099)
    parser.add_argument("--out", type=Path, default=Path("received.jsonl"))
    args = parser.parse_args()
    smtp = start_smtp(args.smtp, args.out)
    hook = start_webhook(args.webhook, args.out)
    print(f"SMTP on 127.0.0.1:{args.smtp}, webhooks on http://127.0.0.1:{args.webhook}/")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        smtp.stop()
        hook.shutdown()
