"""The glance-replicator commands: size, compare, dump, load and livecopy.

Each takes image clients (:class:`~glance_lite.replicator.images_v1.ImagesV1` or
``ImagesV2``, one interface) and writes one progress line per image and a summary to
``out``; it returns the exit status: 0 when everything is in step, 2 when the run went
through but something is not (an image failed, or compare found differences).  Errors
that make going on pointless (a server unreachable, a token refused, the dump directory
unusable) propagate.

Only active images are copied, and an image's data is never replaced once the target
has it: that is Glance's rule, since v1 and v2 treat the data of an active image as
immutable.  Every copy is checked against the source's record twice: while the bytes
stream (:mod:`~glance_lite.replicator.transfer`) and in the target's record afterwards.
"""
import collections
import contextlib
import functools
import json
import logging
import os

from oslo_utils import uuidutils

from glance_lite.replicator import endpoint, transfer

LOG = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 65536
DEFAULT_DONT_REPLICATE = 'created_at date deleted_at location updated_at'

COPIED, UPLOADED, UPDATED, UNCHANGED = 'copied', 'uploaded', 'updated', 'unchanged'
DUMPED, IDENTICAL, DIFFERENT, MISSING = 'dumped', 'identical', 'different', 'missing'
SKIPPED, FAILED = 'skipped', 'failed'
# Outcomes that make the exit status 2.
OUT_OF_STEP = (FAILED, DIFFERENT, MISSING)
# Target statuses whose metadata may still be brought in line with the source.
SYNCABLE = ('active', 'queued', 'deactivated')


class Options:
    """What every command shares.

    :param chunk_size: bytes per read and write of image data.
    :param dont_replicate: space-separated top-level fields left alone.
    :param metaonly: replicate metadata only, never data.
    """

    def __init__(self, chunk_size=DEFAULT_CHUNK_SIZE, dont_replicate=DEFAULT_DONT_REPLICATE,
                 metaonly=False):
        if chunk_size < 1:
            raise ValueError('The chunk size must be a positive number of bytes')
        self.chunk_size = chunk_size
        self.dont_replicate = frozenset(dont_replicate.split())
        self.metaonly = metaonly

    def strip(self, record):
        """A copy of ``record`` without the fields not replicated."""
        return {k: v for k, v in record.items() if k not in self.dont_replicate}


def human_size(num):
    """``num`` bytes in binary units, one decimal: ``5.0 KiB`` (Glance's format)."""
    for unit in ('', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi'):
        if abs(num) < 1024.0:
            return '%3.1f %sB' % (num, unit)
        num /= 1024.0
    return '%.1f YiB' % num


class Progress:
    """One line per image on ``out`` (also logged at INFO), then a summary line."""

    def __init__(self, command, total, out):
        self.command = command
        self.total = total
        self.out = out
        self.done = 0
        self.bytes = 0
        self.counts = collections.Counter()

    def report(self, record, outcome, detail=''):
        self.done += 1
        self.counts[outcome] += 1
        line = '[%d/%d] %s (%s): %s' % (self.done, self.total, record.get('id'),
                                        record.get('name') or '--unnamed', outcome)
        if detail:
            line += ', ' + detail
        print(line, file=self.out, flush=True)
        LOG.info('%s', line)

    def summary(self, stopped=False):
        counts = ', '.join('%d %s' % (n, outcome) for outcome, n in self.counts.items())
        images = 'image' if self.total == 1 else 'images'
        if stopped:
            line = '%s stopped after %d of %d %s' % (self.command, self.done, self.total,
                                                     images)
        else:
            line = '%s: %d %s' % (self.command, self.total, images)
        if counts:
            line += ': ' + counts
        if self.bytes:
            line += '; %d bytes (%s) transferred' % (self.bytes, human_size(self.bytes))
        print(line, file=self.out, flush=True)
        LOG.info('%s', line)

    def exit_status(self):
        return 2 if any(self.counts[o] for o in OUT_OF_STEP) else 0


def _for_each(progress, items, step):
    """Run ``step(item) -> (record, outcome, detail)`` for every item; a failure of one
    image is reported and the run goes on; a fatal one prints the summary so far."""
    try:
        for item in items:
            try:
                record, outcome, detail = step(item)
            except endpoint.ReplicatorError:
                raise
            except (endpoint.RequestFailed, transfer.TransferFailed) as e:
                LOG.error('%s', e)
                record, outcome, detail = _record_of(item), FAILED, str(e)
            progress.report(record, outcome, detail)
    except BaseException:
        progress.summary(stopped=True)
        raise
    progress.summary()
    return progress.exit_status()


def _record_of(item):
    return item if isinstance(item, dict) else {'id': item}


# -- size and compare --------------------------------------------------------------

def size(source, out):
    """Print the total size of the active images of ``source``."""
    active = [i for i in source.list_images() if i.get('status') == 'active']
    total = sum(int(i.get('size') or 0) for i in active)
    print('Total size is %d bytes (%s) across %d images'
          % (total, human_size(total), len(active)), file=out, flush=True)
    return 0


def compare(source, target, options, out):
    """Report, per image of ``source``, whether ``target`` has it and how it differs."""
    images = source.list_images()

    def step(record):
        current = target.get(record['id'])
        if current is None:
            if record.get('status') != 'active':
                return record, SKIPPED, 'status %s, not on the target' % record.get('status')
            LOG.warning('Image %s ("%s") entirely missing from the destination',
                        record['id'], record.get('name') or '--unnamed')
            return record, MISSING, 'not on the target'
        found = target.differences(options.strip(record), options.strip(current))
        for diff in found:
            LOG.warning('%s: field %s differs (source is %r, target is %r)',
                        record['id'], diff.field, diff.source, diff.target)
        if found:
            return record, DIFFERENT, 'differs in ' + ', '.join(d.field for d in found)
        return record, IDENTICAL, ''

    return _for_each(Progress('compare', len(images), out), images, step)


# -- livecopy and load ---------------------------------------------------------------

def livecopy(source, target, options, out):
    """Bring ``target`` in line with ``source``, streaming data between the two."""
    images = source.list_images()
    progress = Progress('livecopy', len(images), out)

    def step(record):
        data = functools.partial(_from_server, source, record, options.chunk_size)
        return (record,) + _replicate(record, target, options, data, progress)

    return _for_each(progress, images, step)


def load(target, path, options, out):
    """Bring ``target`` in line with the dump in directory ``path``."""
    _require_directory(path)
    names = sorted(n for n in os.listdir(path)
                   if uuidutils.is_uuid_like(n) and os.path.isfile(os.path.join(path, n)))
    progress = Progress('load', len(names), out)

    def step(name):
        record = _read_dumped(target, path, name)
        data_path = os.path.join(path, name + '.img')
        data = None
        if os.path.exists(data_path):
            data = functools.partial(_from_file, data_path, record, options.chunk_size)
        return (record,) + _replicate(record, target, options, data, progress)

    return _for_each(progress, names, step)


def _replicate(record, target, options, open_data, progress):
    """Make the target's image ``record['id']`` match ``record``.

    :param open_data: None when there is no data to give, else a callable returning a
        context manager that yields the verified chunks.
    :returns: ``(outcome, detail)``.
    """
    wanted = options.strip(record)
    current = target.get(record['id'])
    source_active = record.get('status') == 'active'
    wants_data = source_active and (current is None or current['status'] == 'queued')
    if current is None and not source_active:
        return SKIPPED, 'status %s on the source' % record.get('status')
    if current is None and options.metaonly:
        return SKIPPED, 'not on the target (metadata only: nothing is created)'
    if current is None and open_data is None:
        return SKIPPED, 'not on the target and no data in the dump'
    outcome, details = UNCHANGED, []
    if wants_data and not options.metaonly and open_data is not None:
        expected = transfer.Expected.of(record)
        LOG.info('Image %s (%s, %d bytes) is being copied', record['id'],
                 record.get('name'), expected.size)
        with open_data() as chunks:
            if current is None:
                current, outcome = target.create(wanted, chunks), COPIED
            else:
                current, outcome = target.upload(wanted, chunks), UPLOADED
        _check_copy(record, current, expected)
        progress.bytes += expected.size
        details.append(expected.describe())
    if current['status'] not in SYNCABLE:
        raise transfer.TransferFailed(
            'Image %s is %s on the target: its id cannot take a copy (remove it there, '
            'including from the database, to copy it again)' % (record['id'],
                                                                current['status']))
    found = target.differences(wanted, options.strip(current))
    if current['status'] != 'queued':
        data_diffs = [d.field for d in found if d.field in target.data_fields]
        if data_diffs:
            raise transfer.TransferFailed(
                'Image %s has other data on the target (%s differ); data is never '
                'replaced' % (record['id'], ', '.join(data_diffs)))
    changeable = [d for d in found if d.field not in target.data_fields
                  and d.field != 'status']
    if changeable:
        current = target.update(wanted, current, changeable)
        left = [d.field for d in target.differences(wanted, options.strip(current))
                if d.field not in target.data_fields and d.field != 'status']
        changed = [d.field for d in changeable if d.field not in left]
        if changed:
            details.append('changed ' + ', '.join(changed))
            outcome = UPDATED if outcome == UNCHANGED else outcome
        if left:
            LOG.warning('Image %s: the target keeps its own %s', record['id'],
                        ', '.join(left))
            details.append('the target keeps its own ' + ', '.join(left))
    return outcome, '; '.join(details)


def _check_copy(record, current, expected):
    """The target's record of a fresh copy must show the source's data."""
    problems = []
    if current.get('status') != 'active':
        problems.append('status %s' % current.get('status'))
    if (current.get('size') or 0) != expected.size:
        problems.append('size %s' % current.get('size'))
    if expected.checksum and current.get('checksum') != expected.checksum:
        problems.append('checksum %s' % current.get('checksum'))
    if (expected.hash_algo and current.get('os_hash_algo') == expected.hash_algo
            and current.get('os_hash_value') != expected.hash_value):
        problems.append('a different os_hash_value')
    if problems:
        raise transfer.TransferFailed('The target reports %s for image %s after the copy'
                                      % (', '.join(problems), record['id']))


@contextlib.contextmanager
def _from_server(source, record, chunk_size):
    download = source.download(record)
    try:
        if download.status == 204:
            raise transfer.TransferFailed('Image %s is active on %s but has no data'
                                          % (record['id'], source.endpoint))
        yield transfer.verified(download.chunks(chunk_size), transfer.Expected.of(record),
                                'Image %s from %s' % (record['id'], source.endpoint))
    finally:
        download.close()


@contextlib.contextmanager
def _from_file(path, record, chunk_size):
    expected = transfer.Expected.of(record)
    # Check the file before anything reaches the target: a bad dump then leaves no
    # trace there, rather than an image the target had to give up on.
    transfer.check_file(path, expected, chunk_size)
    yield transfer.verified(transfer.file_chunks(path, chunk_size), expected, path)


def _read_dumped(target, path, name):
    meta_path = os.path.join(path, name)
    try:
        with open(meta_path, encoding='utf-8') as f:
            record = json.load(f)
    except (OSError, ValueError) as e:
        raise transfer.TransferFailed('Cannot read the dumped metadata %s: %s'
                                      % (meta_path, e))
    if not target.is_record(record) or record.get('id') != name:
        other = 2 if target.api_version == 1 else 1
        raise transfer.TransferFailed(
            '%s is not an API v%d image record with id %s (dumped with --api-version %d?)'
            % (meta_path, target.api_version, name, other))
    return record


# -- dump ------------------------------------------------------------------------------

def dump(source, path, options, out):
    """Write each image of ``source`` to directory ``path``: ``<id>`` holds the record
    as JSON, ``<id>.img`` the data of an active image (unless metadata only).

    Data already dumped is not fetched again; a record is rewritten when it changed.
    Both files appear complete or not at all.
    """
    _require_directory(path)
    images = source.list_images()
    progress = Progress('dump', len(images), out)

    def step(record):
        meta_path = os.path.join(path, record['id'])
        data_path = meta_path + '.img'
        details = []
        if (record.get('status') == 'active' and not options.metaonly
                and not os.path.exists(data_path)):
            expected = transfer.Expected.of(record)
            LOG.info('Image %s (%s, %d bytes) is being dumped to %s', record['id'],
                     record.get('name'), expected.size, data_path)
            with _from_server(source, record, options.chunk_size) as chunks:
                _write_atomically(data_path, chunks)
            progress.bytes += expected.size
            details.append(expected.describe())
        if _dumped_record(meta_path) == record and not details:
            return record, UNCHANGED, ''
        _write_atomically(meta_path, [json.dumps(record, sort_keys=True).encode('utf-8')])
        if not details:
            details.append('metadata only')
        return record, DUMPED, '; '.join(details)

    return _for_each(progress, images, step)


def _dumped_record(meta_path):
    try:
        with open(meta_path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _write_atomically(final_path, chunks):
    """Write ``chunks`` to a hidden temporary file beside ``final_path``, then rename it;
    on any failure the temporary file goes and ``final_path`` is untouched.

    :raises endpoint.ReplicatorError: the dump directory cannot be written.
    """
    directory, name = os.path.split(final_path)
    temp_path = os.path.join(directory, '.%s.part' % name)
    try:
        try:
            with open(temp_path, 'wb') as f:
                for chunk in chunks:
                    f.write(chunk)
            os.replace(temp_path, final_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_path)
            raise
    except OSError as e:
        raise endpoint.ReplicatorError('Cannot write the dump: %s' % e)


def _require_directory(path):
    if not os.path.isdir(path):
        raise endpoint.ReplicatorError('%s is not a directory (the dump directory must '
                                       'exist)' % path)
