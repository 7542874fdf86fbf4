"""The keystone flavors load with glance_lite's own [keystone_authtoken] options and
refuse requests that Keystone has not vouched for."""
import requests

from tests.functional import deployment, fixtures


def test_api_keystone_flavor_refuses_requests_without_a_valid_token(tmp_path):
    keystone = 'http://127.0.0.1:%d' % fixtures.free_port()  # nothing listens there
    dep = deployment.Deployment(tmp_path, flavor='keystone', api_conf={
        'keystone_authtoken': {'www_authenticate_uri': keystone, 'auth_url': keystone,
                               'auth_type': 'password', 'username': 'glance',
                               'password': 'secret', 'project_name': 'service',
                               'http_connect_timeout': '1',
                               'http_request_max_retries': '0'}})
    dep.start()
    try:
        resp = requests.get(dep.url + '/v1/images')
        assert resp.status_code == 401
        # The challenge names the Keystone this api was configured with: proof that
        # the options came from glance-api.conf.
        assert keystone in resp.headers.get('WWW-Authenticate', '')
        resp = requests.get(dep.url + '/v1/images', headers={
            'X-Auth-Token': 'forged', 'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin',
            'X-Tenant-Id': 'someone'})
        assert resp.status_code in (401, 503)
        assert requests.get(dep.url + '/healthcheck').status_code == 200
    finally:
        dep.stop()
