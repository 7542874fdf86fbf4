"""The ``cache`` and ``cachemanage`` filters in front of a stand-in API app, with the
real registry app (in process, trusted-auth) deciding who sees what.

The rule under test: a cached image is served only to a caller the download path
would serve; everybody else reaches the download path and gets its answer.
"""
import json
import os

import pytest
import webob
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite.api import cached_images, policy
from glance_lite.api.middleware import cache as cache_middleware
from glance_lite.api.middleware import cache_manage
from glance_lite.common import http
from glance_lite import image_cache
from glance_lite.images import deps as image_deps
from glance_lite.images import protections
from glance_lite.registry import client as registry_client
from tests.unit.image_cache.conftest import cache_conf, cache_image, files_in, md5
from tests.unit.images.test_validation import SETTINGS
from tests.unit.registry import conftest as registry_fixtures

DATA = os.urandom(200000)
ALICE = registry_fixtures.user('alice')
BOB = registry_fixtures.user('bob')
ADMIN = registry_fixtures.user('ops', admin=True)


class DownloadPath:
    """Stands in for the API routers: answers every request it gets with
    ``self.answer`` and records the paths it saw."""

    def __init__(self):
        self.seen = []
        self.answer = webob.Response(status=404, body=b'the download path answered')

    def __call__(self, environ, start_response):
        path = environ['PATH_INFO']
        self.seen.append(path)
        # As the root app does: the version prefix moves to SCRIPT_NAME.
        prefix = '/' + path.split('/')[1]
        environ['SCRIPT_NAME'] += prefix
        environ['PATH_INFO'] = path[len(prefix):]
        return self.answer(environ, start_response)


@pytest.fixture
def db_kind():
    return 'sqlite'


@pytest.fixture
def registry(db_url, db):
    from glance_lite.registry import api as registry_api
    conf = registry_fixtures.make_registry_conf(db_url)
    return registry_fixtures.trusted_client(registry_api.make_app(conf, db), conf)


def api_conf(tmp_path, policy_rules=None):
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    conf([], default_config_files=[])
    if policy_rules is not None:
        path = tmp_path / 'policy.json'
        path.write_text(json.dumps(policy_rules))
        policy.set_defaults(conf)
        conf.set_override('policy_file', str(path), group='oslo_policy')
    return conf


@pytest.fixture
def make_filter(tmp_path, db_url, db):
    from glance_lite.registry import api as registry_api

    def make(policy_rules=None, protection_rules=None):
        conf = api_conf(tmp_path, policy_rules)
        api_policy = policy.Policy(conf)
        reg_conf = registry_fixtures.make_registry_conf(db_url)
        trusted = registry_fixtures.context_middleware.ContextMiddleware(
            registry_api.make_app(reg_conf, db), reg_conf)
        client = registry_client.RegistryClient(
            registry_fixtures.make_client_conf(send_identity_headers=True),
            http.WSGITransport(trusted))
        prot = None
        if protection_rules is not None:
            prot = protections.PropertyProtections(protection_rules, 'roles', api_policy)
        deps = image_deps.Deps(settings=SETTINGS, registry=client, stores=None,
                               policy=api_policy, protections=prot)
        cache = image_cache.load_cache(cache_conf(tmp_path / 'cache'))
        downstream = DownloadPath()
        return cache_middleware.CacheFilter(downstream, cache, deps), cache, downstream
    return make


@pytest.fixture
def stack(make_filter):
    return make_filter()


@pytest.fixture
def image(registry):
    """Alice's private active image, cached."""
    return registry(ALICE).add_image({
        'name': 'cached', 'disk_format': 'raw', 'container_format': 'bare',
        'is_public': False, 'status': 'active', 'size': len(DATA), 'checksum': md5(DATA)})


def request(path, ctx, method='GET', **headers):
    req = webob.Request.blank(path, method=method, headers=headers)
    req.environ['glance.context'] = ctx
    return req


def test_owner_gets_a_v1_hit_with_the_v1_headers(stack, image):
    cache_filter, cache, downstream = stack
    cache_image(cache, image['id'], DATA)
    resp = request('/v1/images/%s' % image['id'], ALICE).get_response(cache_filter)
    assert resp.status_int == 200 and resp.body == DATA
    assert resp.headers['x-image-meta-id'] == image['id']
    assert resp.headers['x-image-meta-checksum'] == md5(DATA) == resp.headers['ETag']
    assert resp.content_type == 'application/octet-stream'
    assert resp.content_length == len(DATA)
    assert 'x-image-meta-location' not in resp.headers
    assert downstream.seen == []
    assert cache.cached_images()[0]['hits'] == 1


def test_v1_hit_headers_hide_properties_the_caller_may_not_read(make_filter, registry):
    everyone = dict.fromkeys(('create', 'read', 'update', 'delete'), ['@'])
    cache_filter, cache, _downstream = make_filter(protection_rules=[
        ('^x_secret', dict(everyone, read=['admin'])), ('.*', everyone)])
    image = registry(ALICE).add_image({
        'name': 'props', 'disk_format': 'raw', 'container_format': 'bare',
        'is_public': False, 'status': 'active', 'size': len(DATA), 'checksum': md5(DATA),
        'properties': {'x_secret_key': 'hunter2', 'x_colour': 'blue'}})
    cache_image(cache, image['id'], DATA)
    resp = request('/v1/images/%s' % image['id'], ALICE).get_response(cache_filter)
    assert resp.body == DATA
    assert resp.headers['x-image-meta-property-x_colour'] == 'blue'
    assert 'x-image-meta-property-x_secret_key' not in resp.headers
    resp = request('/v1/images/%s' % image['id'], ADMIN).get_response(cache_filter)
    assert resp.headers['x-image-meta-property-x_secret_key'] == 'hunter2'


def test_v2_hit_and_any_id_spelling(stack, image):
    cache_filter, cache, downstream = stack
    cache_image(cache, image['id'], DATA)
    path = '/v2/images/%s/file' % image['id'].upper().replace('-', '')
    resp = request(path, ALICE).get_response(cache_filter)
    assert resp.status_int == 200 and resp.body == DATA
    assert resp.headers['Content-MD5'] == md5(DATA)
    assert 'x-image-meta-id' not in resp.headers
    assert downstream.seen == []


class FileWrapper:
    """Stands in for the server's ``wsgi.file_wrapper`` (sendfile)."""

    def __init__(self, filelike, block_size=65536):
        self.filelike = filelike

    def close(self):
        self.filelike.close()


def test_a_hit_leaves_as_the_servers_file_wrapper(stack, image):
    cache_filter, cache, _downstream = stack
    cache_image(cache, image['id'], DATA)
    req = request('/v2/images/%s/file' % image['id'], ALICE)
    req.environ['wsgi.file_wrapper'] = FileWrapper
    body = cache_filter(req.environ, lambda status, headers, exc_info=None: None)
    # The server sends exactly this type with sendfile (zero-copy).
    assert type(body) is FileWrapper
    body.close()


@pytest.mark.parametrize('caller', [BOB, registry_fixtures.user('carol')])
def test_a_foreign_caller_never_gets_cached_bytes(stack, image, caller):
    cache_filter, cache, downstream = stack
    cache_image(cache, image['id'], DATA)
    for path in ('/v1/images/%s' % image['id'], '/v2/images/%s/file' % image['id']):
        resp = request(path, caller).get_response(cache_filter)
        assert resp.body == b'the download path answered'
    assert len(downstream.seen) == 2
    assert cache.cached_images()[0]['hits'] == 0 and cache.is_cached(image['id'])


def test_a_deactivated_image_goes_to_the_download_path(stack, image, registry):
    cache_filter, cache, downstream = stack
    cache_image(cache, image['id'], DATA)
    registry(ADMIN).update_image(image['id'], {'status': 'deactivated'})
    for caller in (ALICE, ADMIN):
        resp = request('/v1/images/%s' % image['id'], caller).get_response(cache_filter)
        assert resp.body == b'the download path answered'
    assert cache.is_cached(image['id'])


def test_a_deleted_image_is_never_served_and_leaves_the_cache(stack, image, registry):
    cache_filter, cache, downstream = stack
    cache_image(cache, image['id'], DATA)
    registry(ALICE).delete_image(image['id'])
    resp = request('/v1/images/%s' % image['id'], ALICE).get_response(cache_filter)
    assert resp.body == b'the download path answered'
    assert cache.is_cached(image['id'])  # to Alice it is merely invisible now
    resp = request('/v1/images/%s' % image['id'], ADMIN).get_response(cache_filter)
    assert resp.body == b'the download path answered'
    assert not cache.is_cached(image['id'])  # the admin saw it deleted


def test_download_policy_applies_to_hits(make_filter, image):
    cache_filter, cache, downstream = make_filter({'download_image': 'role:admin'})
    cache_image(cache, image['id'], DATA)
    resp = request('/v1/images/%s' % image['id'], ALICE).get_response(cache_filter)
    assert resp.body == b'the download path answered'
    resp = request('/v1/images/%s' % image['id'], ADMIN).get_response(cache_filter)
    assert resp.body == DATA


def test_a_cached_file_of_the_wrong_size_is_dropped_and_refilled(stack, image):
    cache_filter, cache, downstream = stack
    cache_image(cache, image['id'], DATA[:-1])
    downstream.answer = webob.Response(body=DATA, headerlist=[
        ('Content-Type', 'application/octet-stream'),
        ('x-image-meta-checksum', md5(DATA))])
    resp = request('/v1/images/%s' % image['id'], ALICE).get_response(cache_filter)
    assert resp.body == DATA and downstream.seen
    with cache.open_cached(image['id']) as f:
        assert f.read() == DATA


def test_a_miss_is_cached_only_when_it_verifies(stack, image):
    cache_filter, cache, downstream = stack
    downstream.answer = webob.Response(body=DATA, headerlist=[
        ('Content-Type', 'application/octet-stream'), ('Content-MD5', md5(b'wrong'))])
    resp = request('/v2/images/%s/file' % image['id'], ALICE).get_response(cache_filter)
    with pytest.raises(IOError, match='does not match'):
        resp.body  # the stream breaks off before its last chunk
    assert not cache.is_cached(image['id']) and files_in(cache, 'invalid') == [image['id']]
    downstream.answer.headers['Content-MD5'] = md5(DATA)
    resp = request('/v2/images/%s/file' % image['id'], ALICE).get_response(cache_filter)
    assert resp.body == DATA and resp.content_length == len(DATA)
    assert cache.is_cached(image['id'])


@pytest.mark.parametrize('headers', [{'Range': 'bytes=0-9'},
                                     {'Content-Range': 'bytes 0-9/*'}])
def test_ranges_bypass_the_cache(stack, image, headers):
    cache_filter, cache, downstream = stack
    cache_image(cache, image['id'], DATA)
    downstream.answer = webob.Response(body=DATA[:10], headerlist=[
        ('Content-MD5', md5(DATA))])
    resp = request('/v2/images/%s/file' % image['id'], ALICE,
                   **headers).get_response(cache_filter)
    assert resp.body == DATA[:10] and downstream.seen


def test_errors_are_not_cached(stack, image):
    cache_filter, cache, downstream = stack
    request('/v1/images/%s' % image['id'], ALICE).get_response(cache_filter)
    assert downstream.seen and files_in(cache, 'incomplete') == []
    assert not cache.is_cached(image['id'])


def test_a_successful_delete_removes_the_entry(stack, image):
    cache_filter, cache, downstream = stack
    cache_image(cache, image['id'], DATA)
    request('/v2/images/%s' % image['id'], ALICE, method='DELETE').get_response(
        cache_filter)  # the download path said 404: nothing happened
    assert cache.is_cached(image['id'])
    downstream.answer = webob.Response(status=204)
    request('/v2/images/%s' % image['id'], ALICE, method='DELETE').get_response(
        cache_filter)
    assert not cache.is_cached(image['id'])


# -- cachemanage ---------------------------------------------------------------------

@pytest.fixture
def manage(tmp_path):
    cache = image_cache.load_cache(cache_conf(tmp_path / 'cache'))
    controller = cached_images.CachedImagesController(cache,
                                                      policy.Policy(api_conf(tmp_path)))
    downstream = DownloadPath()
    return (cache_manage.CacheManageFilter(downstream, cached_images.build_router(
        controller)), cache, downstream)


@pytest.mark.parametrize('prefix', ['/v1', '/v2'])
def test_management_api(manage, prefix):
    manage_filter, cache, downstream = manage
    image_id = '0b2e5b7e-6a55-4a7c-8d1c-4b0f6c1f3e9a'
    cache_image(cache, image_id, DATA)

    def call(method, path):
        resp = request(prefix + path, ADMIN, method=method).get_response(manage_filter)
        ok = resp.status_int == 200
        return resp.status_int, resp.json_body if ok else resp.text

    status, body = call('GET', '/cached_images')
    assert status == 200 and [i['image_id'] for i in body['cached_images']] == [image_id]
    assert call('PUT', '/queued_images/%s' % image_id.upper()) == (200, None)
    other = '6a1c7c4e-1f1a-4d0a-9a55-0d8c2c7a9b11'
    assert call('PUT', '/queued_images/%s' % other) == (200, None)
    assert call('GET', '/queued_images') == (200, {'queued_images': [other]})
    assert call('DELETE', '/queued_images/%s' % other) == (200, None)
    assert call('DELETE', '/queued_images') == (200, {'num_deleted': 0})
    assert call('DELETE', '/cached_images/%s' % image_id) == (200, None)
    assert call('DELETE', '/cached_images/%s' % image_id) == (200, None)  # not cached: fine
    assert call('DELETE', '/cached_images') == (200, {'num_deleted': 0})
    assert call('PUT', '/queued_images/../../etc')[0] == 404
    status, text = call('PUT', '/queued_images/not-an-id')
    assert status == 400 and "Image ID 'not-an-id' is not a valid UUID." in text
    assert call('POST', '/cached_images')[0] == 405
    assert downstream.seen == []


def test_management_api_is_admin_only_and_leaves_other_paths_alone(manage):
    manage_filter, cache, downstream = manage
    for method, path in (('GET', '/v2/cached_images'), ('DELETE', '/v1/queued_images'),
                         ('PUT', '/v2/queued_images/0b2e5b7e-6a55-4a7c-8d1c-4b0f6c1f3e9a')):
        resp = request(path, ALICE, method=method).get_response(manage_filter)
        assert resp.status_int == 403
    assert cache.queued_images() == []
    request('/v2/images', ALICE).get_response(manage_filter)
    request('/v2/cached_imagesX', ALICE).get_response(manage_filter)
    assert downstream.seen == ['/v2/images', '/v2/cached_imagesX']
