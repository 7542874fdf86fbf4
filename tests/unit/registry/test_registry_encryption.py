"""metadata_encryption_key: the api's registry client encrypts location URLs on the way
to the registry and decrypts them on the way back; the database holds ciphertext."""
import pytest
from sqlalchemy import select

from glance_lite.api.middleware import context as context_middleware
from glance_lite.common import exception, http
from glance_lite.db import models
from glance_lite.registry import client as registry_client
from tests.unit.registry.conftest import make_client_conf, user

KEY = 'K' * 32
URL = 'file:///var/lib/glance/images/one'
OTHER_URL = 'file:///var/lib/glance/images/two'
OWNER = user('owner')


@pytest.fixture
def client_with(app, registry_conf):
    """``client_with(key)`` → a bound client of OWNER whose cipher uses ``key``."""
    trusted = context_middleware.ContextMiddleware(app, registry_conf)

    def make(key):
        conf = make_client_conf(send_identity_headers=True, metadata_encryption_key=key)
        return registry_client.RegistryClient(conf, http.WSGITransport(trusted)) \
            .for_context(OWNER)
    return make


def stored_values(db):
    with db.engine.connect() as conn:
        return list(conn.execute(select(models.ImageLocation.value)
                                 .order_by(models.ImageLocation.id)).scalars())


def new_image(client, **fields):
    meta = {'name': 'x', 'disk_format': 'raw', 'container_format': 'bare',
            'status': 'active', 'size': 4}
    meta.update(fields)
    return client.add_image(meta)


def test_urls_are_ciphertext_in_the_database_and_clear_to_the_api(client_with, db):
    client = client_with(KEY)
    image = new_image(client, location_data=[{'url': URL, 'metadata': {}}])
    assert image['location'] == URL
    assert [loc['url'] for loc in image['location_data']] == [URL]

    [stored] = stored_values(db)
    assert URL not in stored and ':' not in stored

    assert client.get_image(image['id'])['location'] == URL
    [listed] = [i for i in client.get_images_detailed() if i['id'] == image['id']]
    assert listed['location_data'][0]['url'] == URL


def test_location_and_the_same_url_in_location_data_stay_one_location(client_with, db):
    client = client_with(KEY)
    image = new_image(client, location=URL,
                      location_data=[{'url': URL, 'metadata': {'a': 'b'}}])
    assert [(loc['url'], loc['metadata']) for loc in image['location_data']] == [
        (URL, {'a': 'b'})]
    assert len(stored_values(db)) == 1


def test_updates_encrypt_and_keep_location_rows(client_with, db):
    client = client_with(KEY)
    image = new_image(client, location_data=[{'url': URL, 'metadata': {}}])
    locations = image['location_data'] + [{'url': OTHER_URL, 'metadata': {}}]
    updated = client.update_image(image['id'], {'location_data': locations})
    assert [loc['url'] for loc in updated['location_data']] == [URL, OTHER_URL]
    assert updated['location_data'][0]['id'] == image['location_data'][0]['id']
    assert not any(u in v for v in stored_values(db) for u in (URL, OTHER_URL))


def test_a_service_without_the_key_gets_an_error_not_ciphertext(client_with):
    image = new_image(client_with(KEY), location_data=[{'url': URL, 'metadata': {}}])
    with pytest.raises(exception.LocationDecryptionFailed,
                       match='encrypted and metadata_encryption_key is not set'):
        client_with(None).get_image(image['id'])


def test_a_service_with_another_key_gets_an_error_not_garbage(client_with):
    image = new_image(client_with(KEY), location_data=[{'url': URL, 'metadata': {}}])
    with pytest.raises(exception.LocationDecryptionFailed,
                       match='A location of image %s cannot be read: it was not '
                             'encrypted with this metadata_encryption_key' % image['id']):
        client_with('W' * 32).get_images_detailed()


def test_clear_urls_written_before_the_key_was_set_are_reported(client_with):
    image = new_image(client_with(None), location_data=[{'url': URL, 'metadata': {}}])
    assert client_with(None).get_image(image['id'])['location'] == URL
    with pytest.raises(exception.LocationDecryptionFailed) as info:
        client_with(KEY).get_image(image['id'])
    assert info.value.http_status == 500
    assert 'stored unencrypted, but metadata_encryption_key is set' in info.value.msg


def test_a_key_of_the_wrong_length_stops_the_client_from_being_built():
    conf = make_client_conf(metadata_encryption_key='too short')
    with pytest.raises(ValueError, match='must be 16, 24 or 32 bytes long'):
        registry_client.RegistryClient(conf, http.WSGITransport(None))
