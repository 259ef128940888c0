"""``serve``'s daily goal evaluation: at start-up, then a minute after every UTC midnight,
every goal of the workspace is evaluated as of today (the first run waits :data:`START_DELAY`
seconds, so it never holds up the first pages) (``goals evaluate``; idempotent per day,
a no-op without goals). Started and stopped by :func:`retentionkit.server.create_app`'s
lifespan; it uses the app's workspace service (:func:`retentionkit.web.auth.app_service`), as
the cache warm-up does, so its write clears the pages' cache."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from retentionkit.web.settings import WebSettings

__all__ = ["start_daily_evaluation"]

log = logging.getLogger("uvicorn.error")


def _seconds_to_midnight() -> float:
    now = dt.datetime.now(dt.UTC)
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return (tomorrow - now).total_seconds() + 60


def evaluate_today(app: Any, settings: WebSettings) -> int | None:
    """Evaluate every goal as of today through the app's service; the number evaluated, or
    None when the workspace has no goals (nothing written)."""
    from retentionkit.goals import GoalEvaluateRequest, has_goals
    from retentionkit.service import run
    from retentionkit.web.auth import app_service

    svc = app_service(app, settings)
    if not svc.run(has_goals):
        return None
    done = svc.write(lambda ws: run(ws, GoalEvaluateRequest()).report)
    return len(done)


#: Seconds after start-up before the first evaluation: the evaluation writes (it holds every
#: lane while it forecasts), so it waits until the first visitors' pages and the cache warm-up
#: are served.
START_DELAY = 30.0


def _daily(app: Any, settings: WebSettings, stop: threading.Event) -> None:
    if stop.wait(START_DELAY):
        return
    while not stop.is_set():
        if settings.has_workspace:
            try:
                done = evaluate_today(app, settings)
                if done is not None:
                    log.info("goals evaluated as of today: %d", done)
            except Exception as exc:  # keep serving; the next day tries again
                log.warning("daily goal evaluation failed: %s", exc)
        stop.wait(_seconds_to_midnight())


def start_daily_evaluation(app: Any, settings: WebSettings) -> threading.Event:
    """Start the daily loop in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=_daily, args=(app, settings, stop), daemon=True).start()
    return stop
