import json

import webob
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite.api.middleware import version_negotiation


def make(enable_v1=True, public_endpoint=None, enable_v2=True):
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    conf([])
    conf.set_override('enable_v1_api', enable_v1)
    conf.set_override('enable_v2_api', enable_v2)
    if public_endpoint:
        conf.set_override('public_endpoint', public_endpoint)
    seen = {}

    def app(environ, start_response):
        seen['path'] = environ['PATH_INFO']
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'app']

    return version_negotiation.VersionNegotiationFilter(app, conf), seen


def test_versioned_path_reaches_the_api():
    app, seen = make()
    resp = webob.Request.blank('/v1.0/images').get_response(app)
    assert resp.status_int == 200
    assert seen['path'] == '/v1/images'


def test_root_gets_300_with_the_versions_this_server_serves():
    app, _ = make()
    resp = webob.Request.blank('/', base_url='http://h:9292').get_response(app)
    assert resp.status_int == 300
    doc = json.loads(resp.body)
    assert [(v['id'], v['status']) for v in doc['versions']] == (
        [('v2.7', 'CURRENT')] + [('v2.%d' % m, 'SUPPORTED') for m in range(6, -1, -1)]
        + [('v1.1', 'DEPRECATED'), ('v1.0', 'DEPRECATED')])
    assert doc['versions'][0]['links'][0]['href'] == 'http://h:9292/v2/'
    assert doc['versions'][-1]['links'][0]['href'] == 'http://h:9292/v1/'


def test_only_v1_when_v2_is_disabled():
    app, _ = make(enable_v2=False)
    doc = json.loads(webob.Request.blank('/').get_response(app).body)
    assert [v['id'] for v in doc['versions']] == ['v1.1', 'v1.0']
    assert webob.Request.blank('/v2/images').get_response(app).status_int == 300


def test_every_v2_minor_version_reaches_v2():
    app, seen = make()
    for token in ['v2'] + ['v2.%d' % m for m in range(8)]:
        resp = webob.Request.blank('/%s/images' % token).get_response(app)
        assert resp.status_int == 200, token
        assert seen['path'] == '/v2/images'


def test_versions_path_is_200_and_public_endpoint_is_used():
    app, _ = make(public_endpoint='https://images.example.com')
    resp = webob.Request.blank('/versions').get_response(app)
    assert resp.status_int == 200
    assert json.loads(resp.body)['versions'][0]['links'][0]['href'] == \
        'https://images.example.com/v2/'


def test_unknown_version_and_disabled_v1_get_300():
    app, _ = make()
    assert webob.Request.blank('/v3/images').get_response(app).status_int == 300
    app, _ = make(enable_v1=False)
    assert webob.Request.blank('/v1/images').get_response(app).status_int == 300


def test_accept_header_selects_version_without_stripping():
    app, seen = make()
    req = webob.Request.blank('/images', headers={
        'Accept': 'application/vnd.openstack.images-v1'})
    assert req.get_response(app).status_int == 200
    assert seen['path'] == '/v1/images'
