"""``GET /v2/images`` query parameters → a registry query (api-v2.md §4.2).

Every v2 rule about the query is checked here, with the spec's messages; the registry
receives ``image_get_all`` arguments as JSON (``POST /images/query``).
"""
from oslo_utils import timeutils, uuidutils

from glance_lite.common import exception
from glance_lite.registry.api import list_params

SORT_KEYS = ('name', 'status', 'container_format', 'disk_format', 'size', 'id',
             'created_at', 'updated_at')
SORT_DIRS = ('asc', 'desc')
VISIBILITIES = ('public', 'private', 'shared', 'community', 'all')
MEMBER_STATUSES = ('pending', 'accepted', 'rejected', 'all')
_IN_FILTERS = ('name', 'id', 'status', 'container_format', 'disk_format')
_EQUAL_FILTERS = ('owner', 'checksum', 'os_hash_value')
_INT_FILTERS = ('min_ram', 'min_disk', 'virtual_size', 'size_min', 'size_max')
_TIME_FILTERS = ('created_at', 'updated_at')
_TIME_OPS = ('gt', 'gte', 'eq', 'neq', 'lt', 'lte')
_PAGING = ('limit', 'marker', 'sort_key', 'sort_dir', 'sort')


def parse(params, default_limit, max_limit):
    """The registry query for ``params`` (a webob MultiDict).

    :raises exception.Invalid: a parameter breaks a v2 rule (400).
    """
    query = {'limit': _limit(params, default_limit, max_limit),
             'marker': _marker(params),
             'member_status': _choice(params, 'member_status', 'accepted',
                                      MEMBER_STATUSES)}
    query['sort_key'], query['sort_dir'] = _sort(params)
    query['filters'] = _filters(params)
    return query


def _limit(params, default, maximum):
    raw = params.get('limit')
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise exception.Invalid('limit param must be an integer')
    if limit < 0:
        raise exception.Invalid('limit param must be positive')
    return min(limit, maximum)


def _marker(params):
    marker = params.get('marker')
    if marker is not None and not uuidutils.is_uuid_like(marker):
        raise exception.Invalid('Invalid marker. Image could not be found.')
    return marker


def _choice(params, name, default, allowed):
    value = params.get(name, default)
    if value not in allowed:
        raise exception.Invalid('Invalid %s value: %s. It must be one of: %s'
                                % (name, value, ', '.join(allowed)))
    return value


def _sort(params):
    keys = params.getall('sort_key')
    dirs = params.getall('sort_dir')
    sort = params.get('sort')
    if sort is not None:
        if keys or dirs:
            raise exception.Invalid('Old and new sorting syntax cannot be combined')
        keys, dirs = [], []
        for item in sort.split(','):
            key, _sep, direction = item.strip().partition(':')
            keys.append(key.strip())
            dirs.append(direction.strip() or 'desc')
    for key in keys:
        if key not in SORT_KEYS:
            raise exception.Invalid('Invalid sort key: %s. It must be one of the '
                                    'following: %s.' % (key, ', '.join(SORT_KEYS)))
    for direction in dirs:
        if direction not in SORT_DIRS:
            raise exception.Invalid('Invalid sort direction: %s' % direction)
    if len(dirs) > 1 and len(dirs) != len(keys):
        raise exception.Invalid('Number of sort dirs does not match the number of sort '
                                'keys')
    return keys or ['created_at'], dirs or ['desc']


def _filters(params):
    filters = {'os_hidden': False}
    for name in set(params.keys()) - set(_PAGING) - {'member_status'}:
        values = params.getall(name)
        value = values[-1]
        if name in _IN_FILTERS:
            filters[name] = _in_value(value)
        elif name in _EQUAL_FILTERS:
            filters[name] = value
        elif name in _INT_FILTERS:
            filters[name] = _int(name, value)
        elif name in _TIME_FILTERS:
            filters[name] = _time(name, value)
        elif name in ('protected', 'os_hidden'):
            filters[name] = _bool(name, value)
        elif name == 'visibility':
            if value not in VISIBILITIES:
                raise exception.Invalid('Invalid visibility value: %s' % value)
            filters[name] = value
        elif name == 'tag':
            filters['tags'] = values
        elif name == 'changes-since':
            raise exception.Invalid('The "changes-since" filter is no longer available '
                                    'on v2.')
        else:
            filters.setdefault('properties', {})[name] = value
    return filters


def _in_value(value):
    if value.startswith('in:'):
        return list_params.split_quoted_list(value[3:])
    return value


def _int(name, value):
    try:
        return int(value)
    except ValueError:
        raise exception.Invalid('Invalid value for %s: %s. It must be an integer.'
                                % (name, value))


def _bool(name, value):
    if value.lower() not in ('true', 'false'):
        raise exception.Invalid("Invalid value '%s' for '%s' filter. Valid values are "
                                "'true' or 'false'." % (value, name))
    return value.lower() == 'true'


def _time(name, value):
    op, sep, moment = value.partition(':')
    if not sep or op not in _TIME_OPS:
        # No operator: the whole value is the time, compared for equality.
        op, moment = 'eq', value
    try:
        parsed = timeutils.normalize_time(timeutils.parse_isotime(moment))
    except ValueError:
        raise exception.Invalid('Invalid time format for %s: %s. Use ISO 8601, e.g. '
                                'gte:2019-01-01T00:00:00Z.' % (name, value))
    return [op, parsed.isoformat()]
