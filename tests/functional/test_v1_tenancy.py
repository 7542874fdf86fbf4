"""Who may see and change what: api and registry both in trusted-auth mode, with the
api forwarding each caller's identity to the registry."""
import pytest
import requests

from tests.functional import deployment


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    d = deployment.Deployment(tmp_path_factory.mktemp('tenancy'), flavor='trusted-auth',
                              registry_flavor='trusted-auth',
                              api_conf={'DEFAULT': {'send_identity_headers': 'True'}})
    d.start()
    yield d
    d.stop()


def who(tenant, roles='member', user=None):
    return {'X-Identity-Status': 'Confirmed', 'X-Tenant-Id': tenant,
            'X-User-Id': user or 'user-' + tenant, 'X-Roles': roles}


ALICE, BOB, ADMIN = who('alice'), who('bob'), who('ops', roles='admin')


def create(dep, caller, **headers):
    return requests.post(dep.url + '/v1/images', headers={**caller, **headers})


def url(dep, image_id, suffix=''):
    return '%s/v1/images/%s%s' % (dep.url, image_id, suffix)


def listed_ids(dep, caller, **params):
    images = requests.get(dep.url + '/v1/images/detail', headers=caller,
                          params=params).json()['images']
    return [i['id'] for i in images]


def test_unauthenticated_request_is_401(dep):
    assert requests.get(dep.url + '/v1/images').status_code == 401


def test_private_image_is_invisible_to_other_tenants(dep):
    resp = create(dep, ALICE, **{'x-image-meta-name': 'alice-private',
                                 'x-image-meta-owner': 'bob'})
    image = resp.json()['image']
    assert image['owner'] == 'alice'  # a non-admin cannot give an image away
    assert requests.head(url(dep, image['id']), headers=ALICE).status_code == 200
    assert requests.head(url(dep, image['id']), headers=BOB).status_code == 404
    assert image['id'] not in listed_ids(dep, BOB)
    assert image['id'] in listed_ids(dep, ALICE)
    resp = requests.put(url(dep, image['id']), headers={**BOB, 'x-image-meta-name': 'x'})
    assert resp.status_code == 404
    assert requests.delete(url(dep, image['id']), headers=BOB).status_code == 404
    assert requests.head(url(dep, image['id']), headers=ALICE).headers[
        'x-image-meta-name'] == 'alice-private'


def test_sharing_makes_an_image_visible_to_the_member(dep):
    image = create(dep, ALICE, **{'x-image-meta-name': 'to-share'}).json()['image']
    assert requests.put(url(dep, image['id'], '/members/bob'), headers=ALICE
                        ).status_code == 204
    assert requests.head(url(dep, image['id']), headers=BOB).status_code == 200
    assert image['id'] in listed_ids(dep, BOB)
    # bob may not share further without can_share
    resp = requests.put(url(dep, image['id'], '/members/carol'), headers=BOB)
    assert resp.status_code == 404
    shared = requests.get(dep.url + '/v1/shared-images/bob', headers=BOB).json()
    assert image['id'] in [s['image_id'] for s in shared['shared_images']]


def test_non_admin_cannot_publicize_or_set_locations(dep):
    resp = create(dep, ALICE, **{'x-image-meta-is_public': 'True'})
    assert resp.status_code == 403
    resp = create(dep, ALICE, **{'x-image-meta-location': 'http://example.com/img',
                                 'x-image-meta-disk_format': 'raw',
                                 'x-image-meta-container_format': 'bare'})
    assert resp.status_code == 403
    resp = create(dep, ALICE, **{'x-glance-api-copy-from': 'http://example.com/img'})
    assert resp.status_code == 403


def test_public_image_of_another_tenant_cannot_be_deleted(dep):
    image = create(dep, ADMIN, **{'x-image-meta-is_public': 'True',
                                  'x-image-meta-owner': 'alice',
                                  'x-image-meta-size': '0',
                                  'x-image-meta-disk_format': 'raw',
                                  'x-image-meta-container_format': 'bare'}).json()['image']
    assert image['owner'] == 'alice' and image['is_public'] is True
    assert image['id'] in listed_ids(dep, BOB)
    assert requests.get(url(dep, image['id']), headers=BOB).status_code == 200
    assert requests.delete(url(dep, image['id']), headers=BOB).status_code == 403
    resp = requests.put(url(dep, image['id']), headers={**BOB, 'x-image-meta-name': 'evil'})
    assert resp.status_code == 403
    assert requests.head(url(dep, image['id']), headers=ALICE).headers[
        'x-image-meta-status'] == 'active'


def test_admin_sees_everything_only_when_asking(dep):
    image = create(dep, BOB, **{'x-image-meta-name': 'bob-only'}).json()['image']
    assert image['id'] not in listed_ids(dep, ADMIN)
    assert image['id'] in listed_ids(dep, ADMIN, is_public='none')
    assert requests.head(url(dep, image['id']), headers=ADMIN).status_code == 200
