"""Group commit for a write route: concurrent requests are queued, one background thread
takes everything queued (up to ``max_batch``), runs it as one call on the workspace service's
write path (one transaction, one cache clear) and hands each request its own result.

Every result is set only after the batch's call returned, i.e. after its commit, so a
response still means "stored". A lone request waits for no one: the thread starts a batch as
soon as anything is queued, and while a batch runs the next one fills.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService
    from retentionkit.workspace import Workspace

__all__ = ["GroupCommit"]

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """``await batcher.submit(item)`` → ``fn(ws, [items…])[i]`` for this item; a result that is
    an exception is raised in the caller."""

    def __init__(
        self,
        svc: WorkspaceService,
        fn: Callable[[Workspace, list[T]], list[Any]],
        max_batch: int = 256,
    ) -> None:
        self.svc = svc
        self.fn = fn
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[T, Future[Any]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
        self._thread.start()

    async def submit(self, item: T) -> Any:
        future: Future[Any] = Future()
        self._queue.put((item, future))
        result = await asyncio.wrap_future(future)
        if isinstance(result, BaseException):
            raise result
        return result

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = [item for item, _ in batch]
            try:
                results = self.svc.write(lambda ws, items=items: self.fn(ws, items))
            except BaseException as exc:  # the whole batch failed: every caller gets the error
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)
