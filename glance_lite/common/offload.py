"""CPU work that releases the GIL (hashing large buffers), run in a native thread.

Kept apart from ``common.server`` so that importing it never imports eventlet: tools
and the test process run without green threads.
"""
import concurrent.futures
import sys

_pool = None


def _green():
    patcher = sys.modules.get('eventlet.patcher')
    return patcher is not None and patcher.is_monkey_patched('thread')


def offload(fn, *args):
    """Start ``fn(*args)`` in a native thread; returns a function that waits for it
    and gives its result (or raises its exception).

    In a monkey-patched server the wait lets other green threads run; elsewhere a
    plain thread pool does the same job.
    """
    global _pool
    if _green():
        import eventlet
        import eventlet.tpool
        return eventlet.spawn(eventlet.tpool.execute, fn, *args).wait
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix='offload')
    return _pool.submit(fn, *args).result
