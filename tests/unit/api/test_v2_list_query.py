"""GET /v2/images query rules (api-v2.md §4.2): what reaches the registry, and the 400s."""
import pytest
import webob.multidict

from glance_lite.api.v2 import list_query
from glance_lite.common import exception


def parse(*pairs):
    return list_query.parse(webob.multidict.MultiDict(pairs), 25, 1000)


def test_defaults():
    query = parse()
    assert query == {'limit': 25, 'marker': None, 'member_status': 'accepted',
                     'sort_key': ['created_at'], 'sort_dir': ['desc'],
                     'filters': {'os_hidden': False}}


def test_limit_is_capped_and_validated():
    assert parse(('limit', '5000'))['limit'] == 1000
    with pytest.raises(exception.Invalid, match='must be an integer'):
        parse(('limit', 'x'))
    with pytest.raises(exception.Invalid, match='must be positive'):
        parse(('limit', '-1'))


def test_old_and_new_sort_syntax():
    query = parse(('sort_key', 'name'), ('sort_key', 'size'), ('sort_dir', 'asc'))
    assert (query['sort_key'], query['sort_dir']) == (['name', 'size'], ['asc'])
    query = parse(('sort', 'name:asc,size'))
    assert (query['sort_key'], query['sort_dir']) == (['name', 'size'], ['asc', 'desc'])
    with pytest.raises(exception.Invalid, match='cannot be combined'):
        parse(('sort', 'name'), ('sort_key', 'size'))
    with pytest.raises(exception.Invalid, match='Invalid sort key: owner'):
        parse(('sort_key', 'owner'))
    with pytest.raises(exception.Invalid, match='Invalid sort direction: up'):
        parse(('sort', 'name:up'))
    with pytest.raises(exception.Invalid):
        parse(('sort_key', 'name'), ('sort_key', 'size'), ('sort_dir', 'asc'),
              ('sort_dir', 'asc'), ('sort_dir', 'desc'))


def test_filters():
    filters = parse(('name', 'in:a,"b,c"'), ('status', 'active'), ('tag', 'x'),
                    ('tag', 'y'), ('size_min', '10'), ('owner', 'p1'),
                    ('created_at', 'gte:2019-01-01T00:00:00Z'), ('protected', 'true'),
                    ('visibility', 'all'), ('hw_disk_bus', 'scsi'))['filters']
    assert filters == {'name': ['a', 'b,c'], 'status': 'active', 'tags': ['x', 'y'],
                       'size_min': 10, 'owner': 'p1',
                       'created_at': ['gte', '2019-01-01T00:00:00'], 'protected': True,
                       'visibility': 'all', 'os_hidden': False,
                       'properties': {'hw_disk_bus': 'scsi'}}
    assert parse(('os_hidden', 'true'))['filters']['os_hidden'] is True
    assert parse(('updated_at', '2019-01-01T10:00:00Z'))['filters']['updated_at'] == [
        'eq', '2019-01-01T10:00:00']


@pytest.mark.parametrize('pair, message', [
    (('visibility', 'everyone'), 'Invalid visibility value'),
    (('member_status', 'maybe'), 'Invalid member_status'),
    (('protected', 'yes'), "Invalid value 'yes' for 'protected' filter"),
    (('size_max', 'big'), 'must be an integer'),
    (('created_at', 'gte:yesterday'), 'Invalid time format'),
    (('changes-since', '2019-01-01'), 'no longer available on v2'),
    (('marker', 'not-a-uuid'), 'Invalid marker'),
])
def test_bad_parameters_are_400(pair, message):
    with pytest.raises(exception.Invalid, match=message):
        parse(pair)
