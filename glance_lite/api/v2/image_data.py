"""v2 /images/{id}/file: upload and download (api-v2.md §5)."""
import re

import webob

from glance_lite.api.v2.images import ctx_of, no_content, refuse_body, visible_record
from glance_lite.common import exception, wsgi
from glance_lite.images import data, records

_RANGE = re.compile(r'^bytes=(\d*)-(\d*)$')
_CONTENT_RANGE = re.compile(r'^bytes (\d+)-(\d+)/(\d+|\*)$')


class ImageDataController:
    def __init__(self, deps):
        self.deps = deps

    def upload(self, req, image_id):
        ctx = ctx_of(req)
        if req.content_type != 'application/octet-stream':
            raise exception.UnsupportedMediaType(
                'Content-Type must be application/octet-stream, not %s.'
                % (req.content_type or 'empty'))
        self.deps.policy.enforce(ctx, 'upload_image')
        record = visible_record(self.deps, ctx, image_id)
        records.require_owner(ctx, record,
                              'You are not permitted to upload data for this image.')
        if record['status'] != 'queued':
            raise exception.Conflict('Image status transition from %s to saving is not '
                                     'allowed' % record['status'])
        if not record.get('disk_format') or not record.get('container_format'):
            raise exception.Invalid('Properties disk_format, container_format must be set '
                                    'prior to saving data.')
        try:
            data.upload(self.deps, ctx, record, req.environ['wsgi.input'],
                        content_length=req.content_length, failure_status='queued')
        except exception.ImageSizeLimitExceeded as e:
            raise exception.ImageSizeLimitExceeded('The incoming image is too large: %s'
                                                   % e.msg)
        except exception.PreconditionFailed:
            raise exception.Gone('Image %s could not be found after upload. The image may '
                                 'have been deleted during the upload.' % image_id)
        return no_content()

    def download(self, req, image_id):
        refuse_body(req)
        ctx = ctx_of(req)
        record = visible_record(self.deps, ctx, image_id)
        self.deps.policy.enforce(ctx, 'download_image', record)
        if record['status'] == 'deactivated' and not ctx.is_admin:
            raise exception.Forbidden('The requested image has been deactivated. Image data '
                                      'download is forbidden.')
        if record['status'] not in ('active', 'deactivated') \
                or not data.active_locations(record):
            return no_content()
        size = record.get('size') or 0
        wanted = requested_range(req, size)
        offset, length = wanted if wanted else (0, None)
        try:
            chunks, stored = data.open_data(self.deps, record, offset=offset, length=length)
        except exception.NotFound:
            return no_content()
        resp = webob.Response(status=200, content_type='application/octet-stream')
        resp.app_iter = wsgi.data_body(req, chunks)
        if wanted:
            resp.status = 206
            resp.content_length = length
            last = offset + length - 1
            resp.headers['Content-Range'] = 'bytes %d-%d/%d' % (offset, last, size)
        else:
            resp.content_length = size or stored
        if record.get('checksum'):
            resp.headers['Content-MD5'] = record['checksum']
        return resp


def requested_range(req, size):
    """``(offset, length)`` asked by ``Range`` (or the legacy request
    ``Content-Range``), None for the whole image.

    :raises exception.Invalid: several ranges (400).
    :raises exception.RangeNotSatisfiable: unparsable, or starting beyond the data (416).
    """
    header = req.headers.get('Range')
    if header is not None:
        return _parse_range(header, size)
    legacy = req.headers.get('Content-Range')
    if legacy is not None:
        match = _CONTENT_RANGE.match(legacy.strip())
        if match is None:
            raise _unsatisfiable(legacy)
        start, stop = int(match.group(1)), int(match.group(2))
        if start > stop or start >= size or stop >= size:
            raise _unsatisfiable(legacy)
        return start, stop - start + 1
    return None


def _parse_range(header, size):
    if ',' in header:
        raise exception.Invalid('Multiple ranges are not supported: %s' % header)
    match = _RANGE.match(header.strip())
    if match is None or not (match.group(1) or match.group(2)):
        raise _unsatisfiable(header)
    first, last = match.group(1), match.group(2)
    if not first:
        # "bytes=-n": the last n bytes.
        count = min(int(last), size)
        if count == 0:
            raise _unsatisfiable(header)
        return size - count, count
    start = int(first)
    stop = min(int(last), size - 1) if last else size - 1
    if start >= size or start > stop:
        raise _unsatisfiable(header)
    return start, stop - start + 1


def _unsatisfiable(header):
    return exception.RangeNotSatisfiable('Requested range %s is not satisfiable.' % header)
