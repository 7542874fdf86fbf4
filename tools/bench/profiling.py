"""py-spy profiles of the server workers while a workload runs, kept as small text
summaries: where the CPU samples fall (own time per function and time under it)."""
import collections
import os
import shutil
import signal
import subprocess
import sys

TOP = 30


def py_spy():
    found = os.path.join(os.path.dirname(sys.executable), 'py-spy')
    return found if os.path.exists(found) else shutil.which('py-spy')


class Recording:
    """``py-spy record`` (raw collapsed stacks) of each pid while the block runs."""

    def __init__(self, pids, directory, name):
        self.pids = pids
        self.directory = directory
        self.name = name
        self.procs = {}

    def _raw(self, label):
        return os.path.join(self.directory, '%s.%s.raw' % (self.name, label))

    def __enter__(self):
        binary = py_spy()
        if binary is None:
            raise RuntimeError('py-spy is not installed: pip install -r '
                               'tools/bench/requirements.txt')
        os.makedirs(self.directory, exist_ok=True)
        for label, pid in self.pids.items():
            self.procs[label] = subprocess.Popen(
                [binary, 'record', '--pid', str(pid), '--rate', '250', '--format', 'raw',
                 '--nonblocking', '-o', self._raw(label)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def __exit__(self, *exc):
        for proc in self.procs.values():
            proc.send_signal(signal.SIGINT)
        summaries = []
        for label, proc in self.procs.items():
            _, err = proc.communicate(timeout=60)
            raw = self._raw(label)
            if not os.path.exists(raw):
                summaries.append('%s: py-spy wrote nothing: %s' % (label, err.decode()[-500:]))
                continue
            summaries.append(summarize(label, raw))
            os.unlink(raw)
        path = os.path.join(self.directory, '%s.txt' % self.name)
        with open(path, 'w') as f:
            f.write('\n\n'.join(summaries) + '\n')
        self.summary_path = path


def _function(frame):
    # py-spy raw frames look like "function (path/to/module.py:123)".
    name, _, where = frame.partition(' (')
    module = where.rsplit(':', 1)[0]
    for marker in ('site-packages/', 'glance_lite/', 'lib/python'):
        if marker in module:
            module = module.split(marker, 1)[1]
            break
    return '%s (%s)' % (name, module)


def summarize(label, raw_path):
    """The top functions of one collapsed-stack file, by own and inclusive samples."""
    own, under = collections.Counter(), collections.Counter()
    total = 0
    with open(raw_path) as f:
        for line in f:
            stack, _, count = line.rstrip('\n').rpartition(' ')
            if not stack or not count.isdigit():
                continue
            count = int(count)
            total += count
            frames = [_function(fr) for fr in stack.split(';') if not fr.startswith(
                ('process ', 'thread '))]
            if frames:
                own[frames[-1]] += count
            for fn in set(frames):
                under[fn] += count
    lines = ['== %s: %d CPU samples (idle not sampled) ==' % (label, total)]
    if not total:
        return '\n'.join(lines)
    lines.append('-- own time --')
    lines += ['%5.1f%%  %s' % (100.0 * n / total, fn) for fn, n in own.most_common(TOP)]
    lines.append('-- time under (inclusive) --')
    lines += ['%5.1f%%  %s' % (100.0 * n / total, fn) for fn, n in under.most_common(TOP)]
    return '\n'.join(lines)
