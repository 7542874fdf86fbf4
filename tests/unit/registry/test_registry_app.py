"""The registry app as a whole: routes and 405s, identity, paste pipelines."""
import os
import threading
import wsgiref.simple_server

import pytest
import webob

from glance_lite.common import config, context, exception, http
from glance_lite.registry import api as registry_api, client as registry_client
from tests.unit.registry.conftest import make_client_conf, user

ALICE = user('alice')
IMAGE = '/images/0b5fbd8a-1c2e-4f6a-9d7e-6a1f2b3c4d5e'
PASTE_INI = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                         'glance-registry-paste.ini')


@pytest.mark.parametrize('method, path, allow', [
    ('PUT', '/', 'GET'),
    ('DELETE', '/images', 'GET, POST'),
    ('PATCH', '/images', 'GET, POST'),
    ('POST', '/images/detail', 'GET, HEAD'),
    ('POST', IMAGE, 'GET, PUT, DELETE'),
    ('PATCH', IMAGE, 'GET, PUT, DELETE'),
    ('DELETE', IMAGE + '/members', 'GET, PUT'),
    ('POST', IMAGE + '/members', 'PUT, DELETE'),
    ('GET', IMAGE + '/members/bob', 'PUT, DELETE'),
    ('POST', IMAGE + '/members/bob', 'GET, PUT, DELETE'),
])
def test_other_methods_are_405_with_allow(call, method, path, allow):
    resp = call(method, path, ALICE)
    assert resp.status_int == 405
    assert resp.headers['Allow'] == allow


def test_unknown_paths_are_404_and_unknown_verbs_501(call):
    assert call('GET', '/nothing', ALICE).status_int == 404
    assert call('POST', '/rpc', ALICE, json=[]).status_int == 404  # v2 RPC not served
    assert call('BREW', '/images', ALICE).status_int == 501


def test_head_of_the_detail_list_is_allowed(call):
    assert call('HEAD', '/images/detail', ALICE).status_int == 200


def test_trusted_auth_registry_refuses_callers_without_identity(trusted_app):
    client = registry_client.RegistryClient(make_client_conf(send_identity_headers=False),
                                            http.WSGITransport(trusted_app))
    with pytest.raises(exception.NotAuthenticated):
        client.for_context(ALICE).get_images()


def test_app_without_a_context_refuses_every_call(app):
    # A pipeline missing its context filter must fail closed, not run as anybody.
    resp = webob.Request.blank('/images', accept='application/json').get_response(app)
    assert resp.status_int == 401
    assert resp.json['message'].startswith('No authenticated user')


def test_identity_comes_from_the_headers(call, client_for):
    created = client_for(user('alice')).add_image({'name': 'mine'})
    assert created['owner'] == 'alice'
    admin = call('GET', '/images?is_public=none', user('ops', admin=True))
    assert [i['id'] for i in admin.json['images']] == [created['id']]


def test_v1_registry_can_be_disabled(registry_conf, db):
    registry_conf.set_override('enable_v1_registry', False)
    app = registry_api.make_app(registry_conf, db)
    assert webob.Request.blank('/images').get_response(app).status_int == 404


def _paste_conf(registry_conf, tmp_path, flavor=None):
    """The shipped paste file, with an optional flavor."""
    registry_conf.set_override('config_file', os.path.abspath(PASTE_INI),
                               group='paste_deploy')
    if flavor:
        registry_conf.set_override('flavor', flavor, group='paste_deploy')
    return registry_conf


def test_shipped_paste_file_loads_and_serves_healthcheck(registry_conf, db):
    registry_conf.set_override('config_file', os.path.abspath(PASTE_INI),
                               group='paste_deploy')
    pipeline = config.load_paste_app(registry_conf, 'glance-registry')
    assert webob.Request.blank('/healthcheck').get_response(pipeline).status_int == 200


def test_paste_pipeline_without_auth_gives_admin_access(registry_conf, db, tmp_path):
    pipeline = config.load_paste_app(_paste_conf(registry_conf, tmp_path),
                                     'glance-registry')
    client = registry_client.RegistryClient(make_client_conf(), http.WSGITransport(pipeline))
    anyone = client.for_context(context.RequestContext(overwrite=False))

    created = anyone.add_image({'name': 'x', 'owner': 'alice', 'is_public': False})
    assert created['owner'] == 'alice'  # an admin may create for others
    assert [i['name'] for i in anyone.get_images({'is_public': 'none'})] == ['x']


def test_paste_trusted_auth_pipeline_takes_identity_from_the_api(registry_conf, db,
                                                                 tmp_path):
    pipeline = config.load_paste_app(_paste_conf(registry_conf, tmp_path, 'trusted-auth'),
                                     'glance-registry')
    client = registry_client.RegistryClient(make_client_conf(send_identity_headers=True),
                                            http.WSGITransport(pipeline))
    created = client.for_context(ALICE).add_image({'name': 'x', 'owner': 'bob'})
    assert created['owner'] == 'alice'
    with pytest.raises(exception.NotFound):
        client.for_context(user('bob')).get_image(created['id'])


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def test_client_and_registry_over_a_real_socket(trusted_app):
    server = wsgiref.simple_server.make_server('127.0.0.1', 0, trusted_app,
                                               handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05},
                              daemon=True)
    thread.start()
    try:
        conf = make_client_conf(registry_host='127.0.0.1',
                                registry_port=server.server_address[1],
                                registry_client_timeout=10, send_identity_headers=True)
        client = registry_client.RegistryClient(conf).for_context(ALICE)
        created = client.add_image({'name': 'over the wire', 'properties': {'k': 'v'}})
        assert client.get_image(created['id']) == created
        with pytest.raises(exception.Invalid) as err:
            client.get_images({'sort_dir': 'sideways'})
        assert str(err.value) == 'Unsupported sort_dir. Acceptable values: asc, desc'
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
