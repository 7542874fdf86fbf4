"""CPU seconds and resident memory of server processes, read from /proc."""
import os
import threading

TICKS = os.sysconf('SC_CLK_TCK')


def children(pid):
    """Pids of the live children of ``pid``."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[1]) == pid and fields[0] != 'Z':
            found.append(int(entry))
    return sorted(found)


def tree(pid):
    """``pid`` and its children (a server's master and its workers)."""
    return [pid] + children(pid)


def cpu_seconds(pid):
    """User + system CPU seconds ``pid`` has used (0 once it is gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(')') + 2:].split()
    # Fields 14 and 15 of stat(5) (utime, stime); index 11/12 after "pid (comm)".
    return (int(fields[11]) + int(fields[12])) / TICKS


def total_cpu(pids):
    return sum(cpu_seconds(p) for p in pids)


def _status_kib(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    raise RuntimeError('no %s for pid %d' % (key, pid))


def rss_mib(pid):
    return _status_kib(pid, 'VmRSS:') / 1024


def reset_peak(pid):
    """Start a new peak RSS (VmHWM) measurement for ``pid`` (clear_refs(5))."""
    with open('/proc/%d/clear_refs' % pid, 'w') as f:
        f.write('5')


def peak_rss_mib(pid):
    return _status_kib(pid, 'VmHWM:') / 1024


class PeakSampler:
    """Highest RSS of ``pid`` while the block runs: the kernel's VmHWM after a reset,
    cross-checked by sampling every 20 ms (in case clear_refs is not permitted)."""

    def __init__(self, pid):
        self.pid = pid
        self.sampled = 0.0
        self.peak = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._hwm = True

    def _run(self):
        while not self._stop.is_set():
            self.sampled = max(self.sampled, rss_mib(self.pid))
            self._stop.wait(0.02)

    def __enter__(self):
        try:
            reset_peak(self.pid)
        except OSError:
            self._hwm = False
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.sampled, peak_rss_mib(self.pid) if self._hwm else 0.0)
