"""RegistryClient: what goes on the wire and how registry errors come back.

These tests talk to a small recording WSGI app through WSGITransport; the tests in
test_registry_api.py run the same client against the real registry app.
"""
import json

import pytest
import webob
import webob.dec
import webob.exc

from glance_lite.common import context, exception, http
from glance_lite.registry import client as registry_client
from tests.unit.registry.conftest import make_client_conf as make_conf


class Recorder:
    """A WSGI app that records each request and answers with a scripted response."""

    def __init__(self):
        self.requests = []
        self.answer = lambda req: webob.Response(json={'image': {'id': 'i1'}})

    @webob.dec.wsgify
    def __call__(self, req):
        self.requests.append(req.copy())
        return self.answer(req)

    @property
    def last(self):
        return self.requests[-1]


@pytest.fixture
def recorder():
    return Recorder()


def user_ctx(**kwargs):
    values = dict(user_id='u1', project_id='p1', roles=['member', 'reader'],
                  auth_token='tok', request_id='req-123', overwrite=False)
    values.update(kwargs)
    return context.RequestContext(**values)


def bound(recorder, ctx=None, **conf):
    client = registry_client.RegistryClient(make_conf(**conf), http.WSGITransport(recorder))
    return client.for_context(ctx or user_ctx())


def test_default_identity_is_the_user_token_and_request_id(recorder):
    bound(recorder).get_image('i1')
    headers = recorder.last.headers
    assert headers['X-Auth-Token'] == 'tok'
    assert headers['X-Openstack-Request-ID'] == 'req-123'
    assert headers['Accept'] == 'application/json'
    for name in ('X-User-Id', 'X-Tenant-Id', 'X-Roles', 'X-Identity-Status'):
        assert name not in headers


def test_no_token_is_sent_when_use_user_token_is_off(recorder):
    bound(recorder, use_user_token=False).get_image('i1')
    assert 'X-Auth-Token' not in recorder.last.headers
    assert recorder.last.headers['X-Openstack-Request-ID'] == 'req-123'


def test_context_without_token_sends_none(recorder):
    bound(recorder, user_ctx(auth_token=None)).get_image('i1')
    assert 'X-Auth-Token' not in recorder.last.headers


def test_identity_headers_for_a_trusted_auth_registry(recorder):
    catalog = [{'type': 'image', 'endpoints': []}]
    bound(recorder, user_ctx(service_catalog=catalog),
          send_identity_headers=True).get_image('i1')
    headers = recorder.last.headers
    assert headers['X-User-Id'] == 'u1'
    assert headers['X-Tenant-Id'] == 'p1'
    assert headers['X-Roles'] == 'member,reader'
    assert headers['X-Identity-Status'] == 'Confirmed'
    assert json.loads(headers['X-Service-Catalog']) == catalog
    assert headers['X-Auth-Token'] == 'tok'


def test_image_calls_use_the_registry_routes(recorder):
    client = bound(recorder)
    recorder.answer = lambda req: webob.Response(json={'images': [{'id': 'a'}]})
    assert client.get_images({'name': 'x'}) == [{'id': 'a'}]
    assert (recorder.last.method, recorder.last.path) == ('GET', '/images')
    assert client.get_images_detailed() == [{'id': 'a'}]
    assert (recorder.last.method, recorder.last.path) == ('GET', '/images/detail')

    recorder.answer = lambda req: webob.Response(json={'image': {'id': 'b'}})
    assert client.get_image('b') == {'id': 'b'}
    assert (recorder.last.method, recorder.last.path) == ('GET', '/images/b')
    assert client.add_image({'name': 'n'}) == {'id': 'b'}
    assert (recorder.last.method, recorder.last.path) == ('POST', '/images')
    assert recorder.last.json == {'image': {'name': 'n'}}
    assert recorder.last.content_type == 'application/json'
    assert client.delete_image('b') == {'id': 'b'}
    assert (recorder.last.method, recorder.last.path) == ('DELETE', '/images/b')


def test_list_query_drops_none_values_and_keeps_the_rest(recorder):
    recorder.answer = lambda req: webob.Response(json={'images': []})
    bound(recorder).get_images_detailed({'name': 'in:a,"b,c"', 'limit': 20,
                                         'marker': None, 'property-os distro': 'x y',
                                         'is_public': None, 'protected': True})
    assert dict(recorder.last.GET) == {'name': 'in:a,"b,c"', 'limit': '20',
                                       'property-os distro': 'x y', 'protected': 'true'}


def test_update_sends_purge_header_and_from_state(recorder):
    client = bound(recorder)
    client.update_image('i1', {'status': 'active'}, purge_props=True, from_state='saving')
    assert (recorder.last.method, recorder.last.path) == ('PUT', '/images/i1')
    assert recorder.last.headers['X-Glance-Registry-Purge-Props'] == 'true'
    assert recorder.last.json == {'image': {'status': 'active'}, 'from_state': 'saving'}

    client.update_image('i1', {'name': 'n'})
    assert recorder.last.headers['X-Glance-Registry-Purge-Props'] == 'false'
    assert recorder.last.json == {'image': {'name': 'n'}, 'from_state': None}


def test_member_calls(recorder):
    client = bound(recorder)
    recorder.answer = lambda req: webob.Response(
        json={'members': [{'member_id': 't', 'can_share': False}]})
    assert client.get_image_members('i1') == [{'member_id': 't', 'can_share': False}]
    assert recorder.last.path == '/images/i1/members'

    recorder.answer = lambda req: webob.Response(
        json={'shared_images': [{'image_id': 'i1', 'can_share': True}]})
    assert client.get_member_images('t') == [{'image_id': 'i1', 'can_share': True}]
    assert recorder.last.path == '/shared-images/t'

    recorder.answer = lambda req: webob.exc.HTTPNoContent()
    assert client.replace_members('i1', [{'member_id': 't'}]) is None
    assert (recorder.last.method, recorder.last.path) == ('PUT', '/images/i1/members')
    assert recorder.last.json == {'memberships': [{'member_id': 't'}]}

    client.add_member('i1', 't')
    assert (recorder.last.method, recorder.last.path) == ('PUT', '/images/i1/members/t')
    assert recorder.last.body == b''
    client.add_member('i1', 't', can_share=True)
    assert recorder.last.json == {'member': {'can_share': True}}

    client.delete_member('i1', 't')
    assert (recorder.last.method, recorder.last.path) == ('DELETE', '/images/i1/members/t')


def test_path_segments_are_quoted(recorder):
    recorder.answer = lambda req: webob.exc.HTTPNoContent()
    bound(recorder).add_member('i 1', 'ten?ant')
    assert recorder.last.path_info == '/images/i 1/members/ten?ant'
    assert recorder.last.query_string == ''


@pytest.mark.parametrize('status, exc_class', [
    (400, exception.Invalid), (401, exception.NotAuthenticated),
    (403, exception.Forbidden), (404, exception.NotFound), (409, exception.Conflict),
    (413, exception.LimitExceeded), (503, exception.ServiceUnavailable),
    (500, exception.UnexpectedStatus)])
def test_registry_errors_become_glance_exceptions_with_the_registry_message(
        recorder, status, exc_class):
    recorder.answer = lambda req: webob.exc.status_map[status](explanation='Some reason.')
    with pytest.raises(exc_class) as err:
        bound(recorder).get_image('i1')
    assert str(err.value) == 'Some reason.'


def test_plain_text_and_html_errors_are_reduced_to_their_explanation(recorder):
    recorder.answer = lambda req: webob.exc.HTTPConflict(
        body='Image operation conflicts', content_type='text/plain')
    with pytest.raises(exception.Conflict) as err:
        bound(recorder).update_image('i1', {}, from_state='saving')
    assert str(err.value) == 'Image operation conflicts'

    def html_error(req):
        req.accept = 'text/html'
        return req.get_response(webob.exc.HTTPNotFound(explanation="Image 'x' not found"))
    recorder.answer = html_error
    with pytest.raises(exception.NotFound) as err:
        bound(recorder).get_image('x')
    assert str(err.value) == "Image 'x' not found"


def test_a_non_json_success_is_an_error_not_a_crash(recorder):
    recorder.answer = lambda req: webob.Response(body=b'<html>proxy page</html>')
    with pytest.raises(exception.UnexpectedStatus):
        bound(recorder).get_image('i1')


def test_pool_is_built_from_the_registry_client_options():
    conf = make_conf(registry_host='10.0.0.5', registry_port=9999,
                     registry_client_timeout=0)
    pool = registry_client.RegistryClient(conf).transport
    assert isinstance(pool, http.HTTPPool)
    assert (pool.host, pool.port, pool.scheme, pool.timeout) == ('10.0.0.5', 9999, 'http',
                                                                 None)

    conf = make_conf(registry_client_protocol='https', registry_client_insecure=True,
                     registry_client_timeout=30)
    pool = registry_client.RegistryClient(conf).transport
    assert (pool.scheme, pool.timeout) == ('https', 30)


def test_unreachable_registry_is_a_503_error():
    conf = make_conf(registry_host='127.0.0.1', registry_port=1, registry_client_timeout=5)
    client = registry_client.RegistryClient(conf).for_context(user_ctx())
    with pytest.raises(exception.RegistryUnavailable) as err:
        client.get_image('i1')
    assert err.value.http_status == 503
    assert 'Connection to the image registry at 127.0.0.1:1 failed' in str(err.value)
