"""Query parameters of the registry's image lists (api-v1.md §3, registry.md §2).

:class:`ListParams` turns the raw query of ``GET /images`` or ``GET /images/detail``
into the keyword arguments of ``db.api.image_get_all``, with a 400 and the spec's
message for anything malformed.  It is where every v1 list rule is checked, so
glance-api may forward its query untouched.
"""
from oslo_utils import timeutils, uuidutils

from glance_lite.common import exception

SORT_KEYS = ('name', 'status', 'container_format', 'disk_format', 'size', 'id',
             'created_at', 'updated_at')
SORT_DIRS = ('asc', 'desc')

# Filters whose value may carry an operator: "in:a,b" or "eq:a".
OPERATOR_FILTERS = ('name', 'status', 'container_format', 'disk_format')
COUNT_FILTERS = ('min_ram', 'min_disk', 'size_min', 'size_max')
PROPERTY_PREFIX = 'property-'

# Keys of a v2 query body (``POST /images/query``).
QUERY_KEYS = ('filters', 'marker', 'limit', 'sort_key', 'sort_dir', 'member_status')

_TRUE = ('true', '1')
_FALSE = ('false', '0')


class ListParams:
    """Parser of list queries, configured once from the paging options.

    :param default_limit: page size when the query has no ``limit``
        (``limit_param_default``).
    :param max_limit: larger limits are capped to this (``api_limit_max``).
    """

    def __init__(self, default_limit, max_limit):
        self.default_limit = default_limit
        self.max_limit = max_limit

    @classmethod
    def from_conf(cls, conf):
        return cls(conf.limit_param_default, conf.api_limit_max)

    def parse(self, params, ctx):
        """The ``image_get_all`` keyword arguments for query ``params`` (a mapping).

        ``is_public`` and ``deleted`` are honoured for admins only.  An admin listing
        without ``is_public`` (or with a true value) sees what a regular user would
        ("admin as user", Glance's v1 compatibility rule); ``is_public=none`` shows
        every image, ``is_public=false`` the non-public ones.
        """
        kwargs = {
            'filters': self._filters(params, ctx),
            'limit': self._limit(params),
            'marker': _marker(params),
            'sort_key': [_choice(params, 'sort_key', 'created_at', SORT_KEYS)],
            'sort_dir': [_choice(params, 'sort_dir', 'desc', SORT_DIRS)],
            'member_status': 'all',  # v1 lists shared images whatever the member status
            'v1_mode': True,
        }
        is_public = _is_public(params)
        if ctx.is_admin:
            if is_public is True:
                kwargs['admin_as_user'] = True
            else:
                kwargs['is_public'] = is_public
        return kwargs

    def parse_query(self, body):
        """The ``image_get_all`` keyword arguments of a v2 query body (see
        ``ImagesController.query``); the database validates filter values."""
        if not isinstance(body, dict):
            raise exception.Invalid('The query must be a JSON object.')
        unknown = set(body) - set(QUERY_KEYS)
        if unknown:
            raise exception.Invalid('Unknown query keys: %s' % ', '.join(sorted(unknown)))
        kwargs = {k: body[k] for k in QUERY_KEYS if body.get(k) is not None}
        if not isinstance(kwargs.get('filters', {}), dict):
            raise exception.Invalid('filters must be an object.')
        limit = kwargs.get('limit', self.default_limit)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise exception.Invalid('limit param must be a positive integer')
        kwargs['limit'] = min(limit, self.max_limit)
        marker = kwargs.get('marker')
        if marker is not None and not uuidutils.is_uuid_like(marker):
            raise exception.Invalid('Invalid marker format')
        return kwargs

    def _limit(self, params):
        raw = params.get('limit')
        if raw is None:
            return self.default_limit
        try:
            limit = int(raw)
        except ValueError:
            raise exception.Invalid('limit param must be an integer')
        if limit < 0:
            raise exception.Invalid('limit param must be positive')
        return min(limit, self.max_limit)

    def _filters(self, params, ctx):
        filters = {}
        properties = {}
        for name in params:
            value = params.get(name)
            if name in OPERATOR_FILTERS:
                filters[name] = _operator_value(value)
            elif name in COUNT_FILTERS:
                filters[name] = _count(name, value)
            elif name == 'protected':
                filters[name] = _bool_filter(name, value)
            elif name == 'changes-since':
                filters[name] = _changes_since(value)
            elif name.startswith(PROPERTY_PREFIX):
                properties[name[len(PROPERTY_PREFIX):]] = value
        if properties:
            filters['properties'] = properties
        deleted = params.get('deleted')
        if deleted is not None:
            deleted = _bool_filter('deleted', deleted)
        if ctx.is_admin and deleted is not None:
            filters['deleted'] = deleted
        elif 'changes-since' not in filters:
            # Deleted images show up only in a changes-since listing (or for an admin
            # who asks for them).
            filters['deleted'] = False
        return filters


def _bad_filter(name, value):
    return exception.Invalid('Bad value passed to filter %s got %s' % (name, value))


def _count(name, value):
    try:
        number = int(value)
    except ValueError:
        raise _bad_filter(name, value)
    if number < 0:
        raise _bad_filter(name, value)
    return number


def _bool_or_none(value):
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def _bool_filter(name, value):
    result = _bool_or_none(value)
    if result is None:
        raise _bad_filter(name, value)
    return result


def _is_public(params):
    """True when absent (compatibility default), None for ``none``, else a bool."""
    value = params.get('is_public')
    if value is None:
        return True
    if value.lower() == 'none':
        return None
    result = _bool_or_none(value)
    if result is None:
        raise _bad_filter('is_public', value)
    return result


def _changes_since(value):
    try:
        moment = timeutils.parse_isotime(value)
    except ValueError:
        raise exception.Invalid('Unrecognized changes-since value')
    # The database keeps naive UTC timestamps.
    return timeutils.normalize_time(moment)


def _marker(params):
    marker = params.get('marker')
    if marker is None:
        return None
    if not uuidutils.is_uuid_like(marker):
        raise exception.Invalid('Invalid marker format')
    return marker


def _choice(params, name, default, allowed):
    value = params.get(name, default)
    if value not in allowed:
        raise exception.Invalid('Unsupported %s. Acceptable values: %s'
                                % (name, ', '.join(allowed)))
    return value


def _operator_value(expression):
    """``in:a,"b,c"`` → ``['a', 'b,c']``; ``eq:x`` or plain ``x`` → ``'x'``.

    Everything before the first ``:`` is the operator, unless the whole value is an
    ISO 8601 time (whose colons are not operators).
    """
    operator, sep, operand = expression.partition(':')
    if not sep or _is_isotime(expression):
        return expression
    if operator == 'eq':
        return operand
    if operator == 'in':
        return split_quoted_list(operand)
    raise exception.Invalid('Unable to filter using the specified operator.')


def _is_isotime(value):
    try:
        timeutils.parse_isotime(value)
    except ValueError:
        return False
    return True


def split_quoted_list(text):
    """Split ``a,"b,c",d`` at commas; double quotes protect commas, ``\\`` escapes.

    :raises exception.Invalid: unbalanced quotes or a quote in the middle of a value.
    """
    values = []
    i, end = 0, len(text)
    while True:
        if i < end and text[i] == '"':
            chars = []
            i += 1
            while i < end and text[i] != '"':
                if text[i] == '\\' and i + 1 < end:
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= end:
                raise exception.Invalid('Invalid filter value %s. The quote is not closed.'
                                        % text)
            i += 1
            if i < end and text[i] != ',':
                raise exception.Invalid('Invalid filter value %s. There is no comma after '
                                        'closing quotation mark.' % text)
            values.append(''.join(chars))
        else:
            comma = text.find(',', i)
            stop = end if comma < 0 else comma
            value = text[i:stop]
            if '"' in value:
                raise exception.Invalid('Invalid filter value %s. There is no comma before '
                                        'opening quotation mark.' % text)
            values.append(value)
            i = stop
        if i >= end:
            return values
        i += 1  # the comma
