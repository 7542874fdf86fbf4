"""Image records (registry wire form) rendered as v2 JSON (api-v2.md §3.1)."""
from glance_lite.images import data, protections

_BASE_FIELDS = ('id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum',
                'os_hash_algo', 'os_hash_value', 'owner', 'size', 'virtual_size',
                'container_format', 'disk_format', 'min_ram', 'min_disk')


def v2_time(wire_time):
    """``YYYY-MM-DDTHH:MM:SSZ`` from the registry's microsecond timestamp
    (``YYYY-MM-DDTHH:MM:SS.ffffff``): its seconds part, cut rather than parsed (a
    list renders two per image; strptime was a tenth of the api's time)."""
    if not wire_time:
        return None
    return wire_time[:19] + 'Z'


def image(deps, ctx, record):
    """The v2 representation of ``record`` for caller ``ctx``.

    Custom properties appear as top-level strings (a null written through v1 shows as
    ``""``), minus those property protections hide from the caller; ``locations`` and
    ``direct_url`` only as ``show_multiple_locations`` and ``show_image_direct_url`` say.
    """
    settings = deps.settings
    view = {}
    properties = protections.readable(deps.protections, ctx,
                                      record.get('properties') or {})
    for name, value in properties.items():
        view[name] = '' if value is None else value
    for name in _BASE_FIELDS:
        view[name] = record.get(name)
    view['protected'] = bool(view['protected'])
    view['os_hidden'] = bool(view['os_hidden'])
    view['created_at'] = v2_time(record.get('created_at'))
    view['updated_at'] = v2_time(record.get('updated_at'))
    view['tags'] = list(record.get('tags') or [])
    locations = data.ordered_locations(settings, data.active_locations(record))
    if settings.show_multiple_locations:
        hidden = record['status'] == 'deactivated' and not ctx.is_admin
        view['locations'] = [] if hidden else [
            {'url': loc['url'], 'metadata': loc.get('metadata') or {}} for loc in locations]
    if settings.show_image_direct_url and locations:
        view['direct_url'] = locations[0]['url']
    view['self'] = '/v2/images/%s' % record['id']
    view['file'] = '/v2/images/%s/file' % record['id']
    view['schema'] = '/v2/schemas/image'
    return view


def member(row):
    """A membership in v2 form (api-v2.md §7)."""
    return {'member_id': row['member_id'], 'image_id': row['image_id'],
            'status': row['status'], 'created_at': v2_time(row['created_at']),
            'updated_at': v2_time(row['updated_at']), 'schema': '/v2/schemas/member'}
