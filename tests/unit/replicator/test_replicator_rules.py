"""The rules under glance-replicator: server addresses, v1 headers, what counts as a
difference over v1 and v2, the JSON patch for it, and data verification."""
import hashlib

import pytest

from glance_lite.replicator import commands, endpoint, images_v1, images_v2, transfer
from glance_lite.replicator import Difference


@pytest.mark.parametrize('address, expected', [
    ('glance.example.com:9292', ('http', 'glance.example.com', 9292)),
    ('127.0.0.1:9292', ('http', '127.0.0.1', 9292)),
    ('[::1]:9292', ('http', '::1', 9292)),
    ('http://glance:9292', ('http', 'glance', 9292)),
    ('https://glance/', ('https', 'glance', 443)),
])
def test_server_addresses(address, expected):
    assert endpoint.parse_address(address) == expected


@pytest.mark.parametrize('address', ['glance', 'glance:port', 'ftp://glance:21',
                                     'http://glance:9292/v1', ':9292', 'glance:99999'])
def test_bad_server_addresses(address):
    with pytest.raises(ValueError, match='use host:port or http'):
        endpoint.parse_address(address)


def test_human_size_is_glances_format():
    assert commands.human_size(0) == '0.0 B'
    assert commands.human_size(5 * 1024) == '5.0 KiB'
    assert commands.human_size(1536 * 1024 * 1024) == '1.5 GiB'
    assert commands.human_size(2 ** 80) == '1.0 YiB'


# -- v1 ------------------------------------------------------------------------------

V1_RECORD = {'id': 'abc', 'name': 'cirros', 'status': 'active', 'is_public': True,
             'size': 12, 'virtual_size': None, 'min_ram': 64, 'protected': False,
             'checksum': 'c' * 32, 'owner': 'tenant', 'properties': {'os_distro': 'x'}}


def test_v1_headers_round_trip():
    headers = images_v1.headers_for(V1_RECORD, list(V1_RECORD))
    assert headers['x-image-meta-is_public'] == b'True'
    assert headers['x-image-meta-virtual_size'] == b''
    assert headers['x-image-meta-property-os_distro'] == b'x'
    # What a HEAD answer carries: the non-null fields, read as latin-1 text.
    received = {k.title(): v.decode('latin-1') for k, v in headers.items() if v}
    record = images_v1.record_from_headers(received)
    assert images_v1.differences(V1_RECORD, record) == []
    assert record['size'] == 12 and record['is_public'] is True


def test_v1_text_beyond_latin1_travels_as_utf8():
    headers = images_v1.headers_for({'name': 'snow ☃'}, ['name'])
    assert headers['x-image-meta-name'] == 'snow ☃'.encode('utf-8')
    received = images_v1.record_from_headers(
        {'x-image-meta-name': headers['x-image-meta-name'].decode('latin-1')})
    assert images_v1.differences({'name': 'snow ☃'}, received) == []


def test_v1_differences():
    current = dict(V1_RECORD, name='other', min_ram=0,
                   properties={'os_distro': 'x', 'extra': 'y'})
    del current['virtual_size']  # absent is the same as null
    wanted = dict(V1_RECORD, properties={'os_distro': 'x', 'only_here': 'z'})
    assert images_v1.differences(wanted, current) == [
        Difference('min_ram', 64, 0), Difference('name', 'cirros', 'other'),
        Difference('properties.extra', None, 'y'),
        Difference('properties.only_here', 'z', None)]


def test_v1_fields_the_caller_stripped_do_not_count():
    wanted = {'id': 'abc', 'name': 'cirros'}
    assert images_v1.differences(wanted, dict(V1_RECORD, owner='someone else')) == []


# -- v2 ------------------------------------------------------------------------------

V2_RECORD = {'id': 'abc', 'name': 'cirros', 'status': 'active', 'visibility': 'public',
             'size': 12, 'checksum': 'c' * 32, 'os_hash_algo': 'sha512',
             'os_hash_value': 'f' * 128, 'tags': ['a', 'b'], 'hw_disk_bus': 'scsi',
             'self': '/v2/images/abc', 'locations': [{'url': 'file:///a'}]}


def test_v2_differences():
    current = dict(V2_RECORD, tags=['b', 'a'], locations=[{'url': 'file:///b'}],
                   name='other', extra='y')
    del current['hw_disk_bus']
    assert images_v2.differences(V2_RECORD, current) == [
        Difference('hw_disk_bus', 'scsi', None), Difference('name', 'cirros', 'other'),
        Difference('extra', None, 'y')]


def test_v2_digests_of_other_algorithms_are_not_compared():
    current = dict(V2_RECORD, os_hash_algo='sha256', os_hash_value='0' * 64)
    assert images_v2.differences(V2_RECORD, current) == [
        Difference('os_hash_algo', 'sha512', 'sha256')]


def test_v2_patch():
    found = [Difference('name', 'cirros', 'other'), Difference('hw_disk_bus', 'scsi', None),
             Difference('a/b~c', None, 'y'), Difference('disk_format', 'raw', 'qcow2'),
             Difference('virtual_size', 10, None)]
    ops, unchangeable = images_v2.patch_for(found, {'status': 'active'})
    assert ops == [{'op': 'replace', 'path': '/name', 'value': 'cirros'},
                   {'op': 'add', 'path': '/hw_disk_bus', 'value': 'scsi'},
                   {'op': 'remove', 'path': '/a~1b~0c'}]
    assert [d.field for d in unchangeable] == ['disk_format', 'virtual_size']
    ops, unchangeable = images_v2.patch_for(found[3:4], {'status': 'queued'})
    assert ops == [{'op': 'replace', 'path': '/disk_format', 'value': 'raw'}]


def test_dump_records_say_which_api_they_came_from():
    assert images_v1.ImagesV1.is_record(V1_RECORD)
    assert not images_v1.ImagesV1.is_record(V2_RECORD)
    assert images_v2.ImagesV2.is_record(V2_RECORD)
    assert not images_v2.ImagesV2.is_record(V1_RECORD)


# -- verification ------------------------------------------------------------------

DATA = [b'abc', b'def', b'gh']


def _expected(data=b''.join(DATA), **overrides):
    values = dict(size=len(data), checksum=hashlib.md5(data).hexdigest(),
                  hash_algo='sha512', hash_value=hashlib.sha512(data).hexdigest())
    values.update(overrides)
    return transfer.Expected(**values)


def test_verified_data_passes_unchanged():
    assert list(transfer.verified(iter(DATA), _expected(), 'x')) == DATA
    assert list(transfer.verified(iter([]), transfer.Expected(0), 'x')) == []


@pytest.mark.parametrize('expected, message', [
    (_expected(checksum='0' * 32), 'checksum'),
    (_expected(hash_value='0' * 128), 'sha512 digest'),
    (_expected(size=7), 'more than the 7 bytes'),
    (_expected(size=9), '8 bytes arrived, its record states 9'),
])
def test_the_last_chunk_is_held_back_when_the_data_is_wrong(expected, message):
    released = []
    with pytest.raises(transfer.TransferFailed, match=message):
        for chunk in transfer.verified(iter(DATA), expected, 'x'):
            released.append(chunk)
    # The receiver never has the whole body.
    assert sum(map(len, released)) < 8


def test_a_record_without_a_checksum_is_checked_on_size():
    assert transfer.Expected.of({'size': 3}).describe() == '3 bytes verified'
    assert list(transfer.verified(iter([b'abc']), transfer.Expected.of({'size': 3}),
                                  'x')) == [b'abc']


def test_check_file(tmp_path):
    path = tmp_path / 'img'
    path.write_bytes(b''.join(DATA))
    transfer.check_file(str(path), _expected(), 2)
    with pytest.raises(transfer.TransferFailed, match='checksum'):
        transfer.check_file(str(path), _expected(checksum='0' * 32), 2)
    with pytest.raises(transfer.TransferFailed, match='Cannot read'):
        transfer.check_file(str(tmp_path / 'missing'), _expected(), 2)
