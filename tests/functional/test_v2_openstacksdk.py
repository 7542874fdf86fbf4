"""openstacksdk's image proxy (``conn.image``, Images API v2) against a real deployment.

The deployment runs without authentication (every caller is an admin with no project), and
the sdk is pointed at it without Keystone: keystoneauth's ``none`` plugin plus
``image_endpoint_override``.  The sdk still does its own version discovery on the endpoint
(``GET /`` → 300 versions document) before it picks v2.
"""
import hashlib
import io
import os
import uuid

import openstack
import pytest
from openstack import exceptions
from openstack.image.v2 import _proxy as image_v2

from tests.functional import deployment

PAYLOAD = os.urandom(2 * 1024 * 1024 + 5)
SMALL = os.urandom(10000)


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    with deployment.Deployment(tmp_path_factory.mktemp('sdk')) as d:
        yield d


@pytest.fixture(scope='module')
def conn(dep):
    connection = openstack.connection.Connection(
        auth_type='none', auth={'endpoint': dep.url},
        image_endpoint_override=dep.url, image_api_version='2')
    yield connection
    connection.close()


def unique(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:8])


def test_the_sdk_discovers_v2(conn):
    assert isinstance(conn.image, image_v2.Proxy)


def test_create_with_data_then_download(conn, tmp_path):
    name = unique('sdk-data')
    image = conn.image.create_image(name, data=PAYLOAD, disk_format='qcow2',
                                    container_format='bare', validate_checksum=True,
                                    os_distro='cirros')
    fetched = conn.image.get_image(image.id)
    assert fetched.status == 'active'
    assert fetched.size == len(PAYLOAD)
    assert fetched.checksum == hashlib.md5(PAYLOAD).hexdigest()
    assert fetched.hash_algo == 'sha512'
    assert fetched.hash_value == hashlib.sha512(PAYLOAD).hexdigest()
    assert fetched.disk_format == 'qcow2' and fetched.container_format == 'bare'
    assert fetched.os_distro == 'cirros'
    # the sdk records what it uploaded as custom properties
    assert fetched.properties['owner_specified.openstack.md5'] == \
        hashlib.md5(PAYLOAD).hexdigest()

    # The sdk verifies the data against os_hash_value while downloading.
    assert conn.image.download_image(image.id).content == PAYLOAD
    dest = tmp_path / 'out.img'
    conn.image.download_image(image, output=str(dest))
    assert dest.read_bytes() == PAYLOAD
    streamed = conn.image.download_image(image, stream=True)
    assert b''.join(streamed.iter_content(65536)) == PAYLOAD


def test_create_from_file_and_file_object(conn, tmp_path):
    src = tmp_path / 'src.img'
    src.write_bytes(SMALL)
    by_name = conn.image.create_image(unique('sdk-file'), filename=str(src),
                                      disk_format='raw', container_format='bare')
    assert conn.image.get_image(by_name.id).checksum == hashlib.md5(SMALL).hexdigest()
    by_object = conn.image.create_image(unique('sdk-fileobj'), data=io.BytesIO(SMALL),
                                        disk_format='raw', container_format='bare')
    assert conn.image.download_image(by_object).content == SMALL


def test_create_without_data_is_queued(conn):
    image = conn.image.create_image(unique('sdk-empty'), disk_format='raw',
                                    container_format='bare', tags=['one', 'two'])
    assert image.status == 'queued'
    assert sorted(conn.image.get_image(image.id).tags) == ['one', 'two']
    assert conn.image.download_image(image).content == b''


def test_find_image(conn):
    name = unique('sdk-find')
    image = conn.image.create_image(name, data=SMALL, disk_format='raw',
                                    container_format='bare', validate_checksum=True)
    assert conn.image.find_image(name).id == image.id
    assert conn.image.find_image(image.id).name == name
    assert conn.image.find_image(unique('nothing')) is None
    with pytest.raises(exceptions.NotFoundException):
        conn.image.find_image(unique('nothing'), ignore_missing=False)
    # The sdk finds the image by name and, its recorded hashes matching, does not make
    # a second one.
    again = conn.image.create_image(name, data=SMALL, disk_format='raw',
                                    container_format='bare', validate_checksum=True)
    assert again.id == image.id
    assert [i.id for i in conn.image.images(name=name)] == [image.id]


def test_update_image_and_properties(conn):
    image = conn.image.create_image(unique('sdk-update'), disk_format='raw',
                                    container_format='bare', color='red', shape='round')
    conn.image.update_image(image, name='sdk-renamed', min_ram=256, color='blue',
                            size_class='large')
    fetched = conn.image.get_image(image.id)
    assert fetched.name == 'sdk-renamed'
    assert fetched.min_ram == 256
    assert fetched.properties['color'] == 'blue'
    assert fetched.properties['size_class'] == 'large'
    # update_image sends the whole set of custom properties: those left out are removed
    # (the sdk patches with "remove" operations)
    assert 'shape' not in fetched.properties
    conn.image.update_image_properties(fetched, os_version='11', shape='square')
    fetched = conn.image.get_image(image.id)
    assert fetched.os_version == '11'
    assert (fetched.properties['shape'], fetched.properties['color']) == ('square', 'blue')


def test_images_listing_filters_and_paging(conn):
    label = uuid.uuid4().hex
    made = [conn.image.create_image('sdk-list-%d' % i, disk_format='raw',
                                    container_format='bare', tags=[label]).id
            for i in range(5)]
    conn.image.update_image(made[4], visibility='private')
    # a page size of 2 makes the sdk follow "next" over three pages
    listed = [i.id for i in conn.image.images(tag=label, limit=2, sort_key='name',
                                              sort_dir='asc')]
    assert listed == made
    by_name_desc = [i.id for i in conn.image.images(tag=label, sort='name:desc')]
    assert by_name_desc == made[::-1]
    assert [i.id for i in conn.image.images(name='sdk-list-3', tag=label)] == [made[3]]
    assert [i.id for i in conn.image.images(status='active', tag=label)] == []
    assert [i.id for i in conn.image.images(visibility='private', tag=label)] == [made[4]]
    assert len(list(conn.image.images(visibility='shared', tag=label))) == 4


def test_delete_image(conn, dep):
    before = set(dep.stored_files())
    image = conn.image.create_image(unique('sdk-delete'), data=SMALL, disk_format='raw',
                                    container_format='bare')
    assert len(set(dep.stored_files()) - before) == 1
    conn.image.delete_image(image)
    assert set(dep.stored_files()) == before
    assert conn.image.find_image(image.id) is None
    with pytest.raises(exceptions.NotFoundException):
        conn.image.get_image(image.id)
    with pytest.raises(exceptions.NotFoundException):
        conn.image.delete_image(image.id, ignore_missing=False)
    conn.image.delete_image(image.id)  # ignore_missing=True by default


def test_deactivate_reactivate_and_tags(conn):
    image = conn.image.create_image(unique('sdk-actions'), data=SMALL, disk_format='raw',
                                    container_format='bare')
    conn.image.deactivate_image(image)
    assert conn.image.get_image(image.id).status == 'deactivated'
    conn.image.reactivate_image(image)
    assert conn.image.get_image(image.id).status == 'active'
    conn.image.add_tag(image, 'golden')
    assert conn.image.get_image(image.id).tags == ['golden']
    assert [i.id for i in conn.image.images(tag='golden')] == [image.id]
    conn.image.remove_tag(image, 'golden')
    assert conn.image.get_image(image.id).tags == []


def test_sdk_reports_http_errors(conn):
    with pytest.raises(exceptions.HttpException) as caught:
        conn.image.create_image(unique('sdk-bad'), disk_format='floppy',
                                container_format='bare')
    assert caught.value.status_code == 400
    image = conn.image.create_image(unique('sdk-twice'), data=SMALL,
                                    disk_format='raw', container_format='bare')
    assert image.upload(conn.image, data=SMALL).status_code == 409
    with pytest.raises(exceptions.NotFoundException):
        conn.image.update_image(str(uuid.uuid4()), name='nobody')
