"""The garbage collector's policy in a ``retentionkit`` process (the console script,
:func:`retentionkit.cli.app.entry`): fewer collections while a command starts and runs, the
default cadence in a long-running one, none over the objects left at exit.

Python's cyclic collector runs a young-generation pass every 700 net allocations of container
objects and a full pass over every object from time to time. Importing pandas, Ibis and their
dependencies allocates millions: a ``metrics --last 1`` on a small workspace spent 0.17–0.19 s
in 417 collections (three full ones, 0.11–0.13 s), and interpreter shutdown another 0.3 s in
its final passes (docs/performance.md, "The end of a command"). None of it frees anything a command
needs: the imported modules live until the end.

* :func:`for_a_command` (at start): young passes every :data:`COMMAND_THRESHOLDS` ``[0]`` net
  allocations instead of 700 (2 collections, 0.04–0.05 s in the same command). Cyclic garbage
  is still collected, in larger batches; reference counting frees everything else at once.
* :func:`for_a_server` (a command that keeps running — ``serve``, ``automations run`` — once
  it has started): the default thresholds again, and everything allocated so far moved to the
  permanent generation (``gc.freeze``), so later full passes skip the start-up's objects.
* :func:`for_exit` (after the command, its output written and its workspaces closed): no
  further collections, every object frozen, so shutdown's passes skip them; every ``atexit``
  handler still runs and reference counting still releases every object.
"""

from __future__ import annotations

import gc

__all__ = ["COMMAND_THRESHOLDS", "for_a_command", "for_a_server", "for_exit"]

#: Collection thresholds while a command runs (generation 0, 1, 2); Python's are (700, 10, 10).
COMMAND_THRESHOLDS = (100_000, 50, 50)
#: The thresholds found at start, restored by :func:`for_a_server`.
_DEFAULT = gc.get_threshold()


def for_a_command() -> None:
    gc.set_threshold(*COMMAND_THRESHOLDS)


def for_a_server() -> None:
    gc.set_threshold(*_DEFAULT)
    gc.freeze()


def for_exit() -> None:
    gc.disable()
    gc.freeze()
