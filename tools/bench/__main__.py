"""glance_lite benchmark (issue 7): bytes, metadata and scale against same-run baselines.

    tools/bench/run [--runs 3] [--quick] [--json PATH] [--no-profile]

Starts real deployments (glance-registry + glance-api, SQLite, file store, one worker
each) in a temporary directory, runs every workload ``--runs`` times from a separate
load-generator process, and prints the medians judged against the targets; the JSON
file holds the targets, the medians and every sample.  Each target that is not met is
run once more under py-spy; the profile summaries go to ``tools/bench/results/``.
Not part of the test suite; run it on a quiet machine (``--wait-quiet``).
"""
import argparse
import collections
import contextlib
import datetime
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from tools.bench import profiling, scenarios, targets

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results')
MIB = 1 << 20
QUIET_LOAD = 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='tools/bench/run',
                                     description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=3, help='repeats (medians are kept)')
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: small sizes, 1k/10k images, short workloads')
    parser.add_argument('--json', help='result file (default: tools/bench/results/'
                                       'bench.json, bench-quick.json with --quick)')
    parser.add_argument('--size-mib', type=int, help='large transfer (default 1024)')
    parser.add_argument('--small-mib', type=int, help='small transfer (default 256)')
    parser.add_argument('--concurrent-mib', type=int,
                        help='each of the 16 concurrent transfers (default 64)')
    parser.add_argument('--counts', help='image counts (default 1000,10000,100000)')
    parser.add_argument('--duration', type=float,
                        help='seconds per request workload (default 5)')
    parser.add_argument('--no-profile', action='store_true',
                        help='do not profile the targets that are not met')
    parser.add_argument('--wait-quiet', type=float, default=0, metavar='SECONDS',
                        help='first wait up to SECONDS for a 1-min load average < 1.0')
    parser.add_argument('--workdir', help='parent of the temporary state directory '
                                          '(on the disk to measure)')
    args = parser.parse_args(argv)
    quick = args.quick
    args.size_mib = args.size_mib or (64 if quick else 1024)
    args.small_mib = args.small_mib or (16 if quick else 256)
    args.concurrent_mib = args.concurrent_mib or (8 if quick else 64)
    args.counts = [int(c) for c in (args.counts or ('1000,10000' if quick
                                                    else '1000,10000,100000')).split(',')]
    args.duration = args.duration or (1.0 if quick else 5.0)
    args.json = args.json or os.path.join(RESULTS, 'bench-quick.json' if quick
                                          else 'bench.json')
    return args


def load_average():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


def wait_quiet(seconds):
    deadline = time.monotonic() + seconds
    while load_average() >= QUIET_LOAD and time.monotonic() < deadline:
        time.sleep(10)
    return load_average()


class Samples:
    """Every run's numbers; medians (worst for error counts) on demand."""

    def __init__(self):
        self.values = collections.defaultdict(list)

    def add(self, measured):
        for key, value in measured.items():
            self.values[key].append(value)
        return measured

    def medians(self):
        out = {}
        for key, values in self.values.items():
            numbers = [v for v in values if isinstance(v, (int, float))]
            if key.endswith('errors'):
                out[key] = max(numbers)
            elif numbers:
                out[key] = statistics.median(numbers)
            else:
                out[key] = next((v for v in values if v), None)
        return out


def progress(text):
    print('[%s] %s' % (time.strftime('%H:%M:%S'), text), file=sys.stderr, flush=True)


def measure(args, workdir, samples):
    size, small = args.size_mib * MIB, args.small_mib * MIB
    payloads = scenarios.Payloads()
    for run in range(args.runs):
        progress('baselines, run %d' % (run + 1))
        samples.add(scenarios.hash_baseline(size))
        samples.add(scenarios.dd_baseline(workdir, size))
        samples.add(scenarios.hello_baselines(workdir, args.duration))
    with deployment(workdir, 'cache', 'caching') as dep:
        for run in range(args.runs):
            progress('download from the cache, run %d' % (run + 1))
            samples.add(scenarios.cached_download(dep, payloads, size))
    with deployment(workdir, 'main') as dep:
        for run in range(args.runs):
            progress('transfers, run %d' % (run + 1))
            samples.add(scenarios.transfers(dep, payloads, size, small))
            samples.add(scenarios.concurrent_transfers(dep, payloads,
                                                       args.concurrent_mib * MIB))
            samples.add(scenarios.create_delete(dep, args.duration))
        seeded, ids = 0, []
        for count in args.counts:
            progress('seeding to %d images' % count)
            ids += scenarios.seed_images(dep, seeded, count - seeded)
            seeded = count
            for run in range(args.runs):
                progress('metadata at %d images, run %d' % (count, run + 1))
                samples.add(scenarios.metadata(dep, ids, count, args.duration))
        for run in range(args.runs):
            progress('filtered and sorted lists at %d images, run %d' % (seeded, run + 1))
            samples.add(scenarios.scale_lists(dep, seeded, args.duration))
        verdicts = targets.evaluate(samples.medians(), args.counts)
        profiles = {}
        if not args.no_profile:
            profiles = profile_unmet(args, workdir, dep, ids, payloads, verdicts)
    return verdicts, profiles


@contextlib.contextmanager
def deployment(workdir, name, flavor=None):
    dep = scenarios.Deployment(os.path.join(workdir, name), flavor=flavor)
    dep.start()
    try:
        yield dep
    finally:
        dep.stop()


def profile_unmet(args, workdir, dep, ids, payloads, verdicts):
    """Re-run the workload behind each unmet target once under py-spy (profiles of an
    earlier run of the same kind are removed first: they describe other code)."""
    for stale in glob.glob(os.path.join(RESULTS, 'profile-*.txt')):
        if stale.endswith('-quick.txt') == args.quick:
            os.unlink(stale)
    workloads = sorted({v['workload'] for v in verdicts if not v['met']})
    profiles = {}
    for workload in workloads:
        progress('profiling %s' % workload)
        name = 'profile-%s%s' % (workload, '-quick' if args.quick else '')
        if workload == 'download_cache':
            with deployment(workdir, 'cache-profile', 'caching') as cache_dep:
                path = _profile(cache_dep, name, lambda rec: scenarios.cached_download(
                    cache_dep, payloads, args.size_mib * MIB, around_hit=rec))
        else:
            path = _profile(dep, name, lambda rec: scenarios.rerun(
                workload, dep, payloads, ids, args, around=rec))
        profiles[workload] = os.path.relpath(path, os.getcwd())
    return profiles


def _profile(dep, name, run):
    recording = profiling.Recording(dep.workers(), RESULTS, name)
    run(recording)
    return recording.summary_path


def print_context(medians):
    """The baselines behind the ratios, and the disk's own cost of a durable write."""
    print('baselines: md5 %s + sha512 %s CPU s/GiB; hello %s req/s, two-hop %s req/s; '
          'dd (fsynced) %s GiB/s using %s CPU s/GiB'
          % tuple(_num(medians.get(k)) for k in (
              'md5_cpu_s_per_gib', 'sha512_cpu_s_per_gib', 'hello_rps', 'two_hop_rps',
              'dd_gib_per_s', 'dd_cpu_s_per_gib')))


def print_table(verdicts):
    header = ('target', 'value', 'reference', 'ratio', 'bound', 'met')
    rows = [(v['target'], _num(v['value']), _num(v['reference']), _num(v['ratio']),
             v['bound'], 'met' if v['met'] else 'NOT MET') for v in verdicts]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = '  '.join('%%-%ds' % w for w in widths)
    print(line % header)
    print(line % tuple('-' * w for w in widths))
    for row in rows:
        print(line % row)
    met = sum(v['met'] for v in verdicts)
    print('%d of %d targets met' % (met, len(verdicts)))


def _num(value):
    return '-' if value is None else ('%.3g' % value if isinstance(value, float) else value)


def git_commit():
    proc = subprocess.run(['git', 'describe', '--always', '--dirty'], capture_output=True,
                          text=True, cwd=scenarios.REPO)
    return proc.stdout.strip() or None


def main(argv=None):
    args = parse_args(argv)
    load_before = wait_quiet(args.wait_quiet) if args.wait_quiet else load_average()
    if load_before >= QUIET_LOAD:
        progress('warning: 1-min load average is %.2f; numbers will be distorted'
                 % load_before)
    workdir = tempfile.mkdtemp(prefix='glance-bench-', dir=args.workdir)
    samples = Samples()
    started = time.monotonic()
    try:
        verdicts, profiles = measure(args, workdir, samples)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        'meta': {'date': datetime.datetime.now(datetime.timezone.utc).isoformat(),
                 'commit': git_commit(), 'cpus': os.cpu_count(), 'runs': args.runs,
                 'quick': args.quick, 'size_mib': args.size_mib,
                 'small_mib': args.small_mib, 'concurrent_mib': args.concurrent_mib,
                 'counts': args.counts, 'duration_s': args.duration,
                 'load_average_before': load_before, 'load_average_after': load_average(),
                 'wall_s': round(time.monotonic() - started, 1)},
        'targets': verdicts, 'profiles': profiles,
        'medians': samples.medians(), 'samples': dict(samples.values)}
    print_table(verdicts)
    print_context(result['medians'])
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, 'w') as f:
        json.dump(result, f, indent=1, default=str)
    print('results: %s' % args.json)
    for workload, path in profiles.items():
        print('profile of %s: %s' % (workload, path))


if __name__ == '__main__':
    main()
