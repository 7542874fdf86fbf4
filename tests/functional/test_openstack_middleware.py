"""The OpenStack filters of glance-api's pipeline, through a real server: CORS answers
browsers of the allowed origin (and only them), proxy headers count only when
``enable_proxy_headers_parsing`` is on, and every answer carries a request id."""
import pytest
import requests

from tests.functional import deployment

DASHBOARD = 'https://dashboard.example.org'


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    api_conf = {'cors': {'allowed_origin': DASHBOARD, 'max_age': '600'},
                'oslo_middleware': {'enable_proxy_headers_parsing': 'True'}}
    with deployment.Deployment(tmp_path_factory.mktemp('mw'), api_conf=api_conf) as d:
        yield d


@pytest.fixture(scope='module')
def plain(tmp_path_factory):
    with deployment.Deployment(tmp_path_factory.mktemp('plain')) as d:
        yield d


def test_cors_allows_the_configured_origin(dep):
    resp = requests.get(dep.url + '/v2/images', headers={'Origin': DASHBOARD})
    assert resp.status_code == 200
    assert resp.headers['Access-Control-Allow-Origin'] == DASHBOARD
    assert 'Origin' in resp.headers['Vary']


def test_cors_preflight_from_the_configured_origin(dep):
    resp = requests.options(dep.url + '/v2/images', headers={
        'Origin': DASHBOARD, 'Access-Control-Request-Method': 'GET'})
    assert resp.headers['Access-Control-Allow-Origin'] == DASHBOARD
    assert resp.headers['Access-Control-Max-Age'] == '600'


@pytest.mark.parametrize('headers', [{'Origin': 'https://evil.example.com'}, {}],
                         ids=['other origin', 'no origin'])
def test_no_cors_headers_for_other_callers(dep, headers):
    resp = requests.get(dep.url + '/v2/images', headers=headers)
    assert resp.status_code == 200
    assert 'Access-Control-Allow-Origin' not in resp.headers


def test_forwarded_scheme_and_host_shape_links_when_enabled(dep):
    resp = requests.get(dep.url + '/', headers={'X-Forwarded-Proto': 'https',
                                                'X-Forwarded-Host': 'images.example.org'})
    hrefs = [link['href'] for v in resp.json()['versions'] for link in v['links']]
    assert hrefs and all(h.startswith('https://images.example.org/') for h in hrefs)


def test_forwarded_headers_are_ignored_by_default(plain):
    resp = requests.get(plain.url + '/', headers={'X-Forwarded-Proto': 'https',
                                                  'X-Forwarded-Host': 'images.example.org'})
    hrefs = [link['href'] for v in resp.json()['versions'] for link in v['links']]
    assert hrefs and all(h.startswith(plain.url + '/') for h in hrefs)


@pytest.mark.parametrize('method, path, status', [
    ('GET', '/v2/images', 200),
    ('GET', '/v2/images/00000000-0000-0000-0000-00000000dead', 404),
    ('HEAD', '/v1/images/00000000-0000-0000-0000-00000000dead', 404),
])
def test_every_answer_carries_the_request_id(plain, method, path, status):
    resp = requests.request(method, plain.url + path)
    assert resp.status_code == status
    assert resp.headers['x-openstack-request-id'].startswith('req-')
    given = 'req-%s' % ('7' * 36)
    resp = requests.request(method, plain.url + path,
                            headers={'X-Openstack-Request-Id': given})
    assert resp.headers['x-openstack-request-id'] == given
