"""Property protections through a real glance-api + glance-registry pair.

The api runs the trusted-auth flavor, so each request says who it comes from in
identity headers.  One deployment per rule format; the api reads the rules file from
its config directory.
"""
import json
import os

import pytest
import requests

from tests.functional import deployment

ROLES_RULES = """\
[^x_billing_.*]
create = admin,billing
read = @
update = admin,billing
delete = admin,billing

[^x_secret_.*]
create = ops
read = ops
update = ops
delete = ops

[^x_frozen_.*]
create = member
read = @
update = !
delete = !

[.*]
create = member,admin
read = member,admin
update = member,admin
delete = member,admin
"""

POLICIES_RULES = """\
[^x_billing_.*]
create = billing_writer
read = @
update = billing_writer
delete = !

[.*]
create = project_member
read = project_member
update = project_member
delete = project_member
"""

POLICY_RULES = {'billing_writer': 'role:billing',
                'project_member': 'role:member or role:billing'}


def who(tenant, roles):
    return {'X-Identity-Status': 'Confirmed', 'X-Tenant-Id': tenant,
            'X-User-Id': 'user-' + tenant, 'X-Roles': roles}


MEMBER = who('alice', 'member')
OPS = who('alice', 'member,ops')
BILLING = who('alice', 'member,billing')
ADMIN = who('alice', 'admin')


def start_deployment(workdir, rules, rule_format, policy_rules=None):
    with open(os.path.join(str(workdir), 'protections.conf'), 'w') as f:
        f.write(rules)
    dep = deployment.Deployment(workdir, flavor='trusted-auth',
                                registry_flavor='trusted-auth', api_conf={'DEFAULT': {
                                    'send_identity_headers': 'True',
                                    'property_protection_file': 'protections.conf',
                                    'property_protection_rule_format': rule_format}})
    if policy_rules:
        policy_path = os.path.join(str(workdir), 'policy.json')
        with open(policy_path) as f:
            rules_json = json.load(f)
        rules_json.update(policy_rules)
        with open(policy_path, 'w') as f:
            json.dump(rules_json, f)
    return dep.start()


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    d = start_deployment(tmp_path_factory.mktemp('protections-roles'), ROLES_RULES, 'roles')
    yield d
    d.stop()


@pytest.fixture(scope='module')
def policies_dep(tmp_path_factory):
    d = start_deployment(tmp_path_factory.mktemp('protections-policies'), POLICIES_RULES,
                         'policies', POLICY_RULES)
    yield d
    d.stop()


# -- API v1 --------------------------------------------------------------------------

def v1_props(**props):
    return {'x-image-meta-property-%s' % k: v for k, v in props.items()}


def v1_create(dep, caller, name, **props):
    headers = {**caller, 'x-image-meta-name': name, 'x-image-meta-size': '0',
               'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
               **v1_props(**props)}
    return requests.post(dep.url + '/v1/images', headers=headers)


def v1_url(dep, image_id):
    return '%s/v1/images/%s' % (dep.url, image_id)


def v1_head_props(dep, caller, image_id):
    resp = requests.head(v1_url(dep, image_id), headers=caller)
    assert resp.status_code == 200
    prefix = 'x-image-meta-property-'
    return {k.lower()[len(prefix):]: v for k, v in resp.headers.items()
            if k.lower().startswith(prefix)}


def v1_update(dep, caller, image_id, purge=True, **props):
    headers = {**caller, 'x-glance-registry-purge-props': str(purge).lower(),
               **v1_props(**props)}
    return requests.put(v1_url(dep, image_id), headers=headers)


def v1_detail(dep, caller, name):
    return requests.get(dep.url + '/v1/images/detail', headers=caller,
                        params={'name': name}).json()['images']


def test_v1_create_of_a_protected_property_is_403_and_creates_nothing(dep):
    resp = v1_create(dep, MEMBER, 'refused', os_distro='debian', x_billing_code='42')
    assert resp.status_code == 403
    assert "Property 'x_billing_code' is protected" in resp.text
    assert v1_detail(dep, MEMBER, 'refused') == []
    # admins get no exemption: the rules name who may create x_secret_*
    resp = v1_create(dep, ADMIN, 'refused', x_secret_key='k')
    assert resp.status_code == 403
    assert "Property 'x_secret_key' is protected" in resp.text


def test_v1_unreadable_properties_are_absent_from_every_response(dep):
    resp = v1_create(dep, OPS, 'with-secret', x_secret_key='k', os_distro='debian')
    assert resp.status_code == 201
    image = resp.json()['image']
    assert image['properties'] == {'x_secret_key': 'k', 'os_distro': 'debian'}
    for caller in (MEMBER, ADMIN):
        assert v1_head_props(dep, caller, image['id']) == {'os_distro': 'debian'}
        download = requests.get(v1_url(dep, image['id']), headers=caller)
        assert download.status_code == 200
        assert 'x-image-meta-property-x_secret_key' not in download.headers
        assert download.headers['x-image-meta-property-os_distro'] == 'debian'
        [listed] = v1_detail(dep, caller, 'with-secret')
        assert listed['properties'] == {'os_distro': 'debian'}
    updated = v1_update(dep, MEMBER, image['id'], purge=False, os_distro='ubuntu')
    assert updated.status_code == 200
    assert updated.json()['image']['properties'] == {'os_distro': 'ubuntu'}
    assert v1_head_props(dep, OPS, image['id']) == {'x_secret_key': 'k',
                                                    'os_distro': 'ubuntu'}


def test_v1_update_checks_create_read_and_update(dep):
    image = v1_create(dep, MEMBER, 'frozen', x_frozen_tag='gold').json()['image']
    # resending the value unchanged needs read only
    assert v1_update(dep, MEMBER, image['id'], purge=False,
                     x_frozen_tag='gold').status_code == 200
    resp = v1_update(dep, MEMBER, image['id'], purge=False, x_frozen_tag='silver')
    assert resp.status_code == 403
    assert "Property 'x_frozen_tag' is protected" in resp.text
    resp = v1_update(dep, MEMBER, image['id'], purge=False, x_billing_code='1')
    assert resp.status_code == 403
    # writing a property one cannot read is refused, whatever the value
    resp = v1_update(dep, MEMBER, image['id'], purge=False, x_secret_key='k')
    assert resp.status_code == 403
    assert v1_update(dep, BILLING, image['id'], purge=False,
                     x_billing_code='1').status_code == 200
    assert v1_head_props(dep, MEMBER, image['id']) == {'x_frozen_tag': 'gold',
                                                       'x_billing_code': '1'}


def test_v1_purge_keeps_unreadable_properties_and_refuses_undeletable_ones(dep):
    image = v1_create(dep, OPS, 'purged', x_secret_key='k', x_frozen_tag='gold',
                      os_distro='debian', hw_bus='scsi').json()['image']
    # x_frozen_tag may be deleted by no one: a purge leaving it out changes nothing
    resp = v1_update(dep, MEMBER, image['id'], os_distro='debian')
    assert resp.status_code == 403
    assert "Property 'x_frozen_tag' is protected" in resp.text
    assert v1_head_props(dep, OPS, image['id']) == {
        'x_secret_key': 'k', 'x_frozen_tag': 'gold', 'os_distro': 'debian',
        'hw_bus': 'scsi'}
    # the member never saw x_secret_key: purging keeps it, and drops hw_bus
    resp = v1_update(dep, MEMBER, image['id'], x_frozen_tag='gold', os_distro='debian')
    assert resp.status_code == 200
    assert resp.json()['image']['properties'] == {'x_frozen_tag': 'gold',
                                                  'os_distro': 'debian'}
    assert v1_head_props(dep, OPS, image['id']) == {
        'x_secret_key': 'k', 'x_frozen_tag': 'gold', 'os_distro': 'debian'}


def test_v1_policies_format_applies_the_named_policy_rules(policies_dep):
    resp = v1_create(policies_dep, MEMBER, 'billed', x_billing_code='1')
    assert resp.status_code == 403
    assert "Property 'x_billing_code' is protected" in resp.text
    image = v1_create(policies_dep, BILLING, 'billed', x_billing_code='1',
                      os_distro='debian').json()['image']
    # read = @ for x_billing_*, project_member for the rest; admin is neither
    assert v1_head_props(policies_dep, ADMIN, image['id']) == {'x_billing_code': '1'}
    assert v1_head_props(policies_dep, MEMBER, image['id']) == {'x_billing_code': '1',
                                                                'os_distro': 'debian'}
    # delete = ! for x_billing_*
    resp = v1_update(policies_dep, BILLING, image['id'], os_distro='debian')
    assert resp.status_code == 403


# -- start-up --------------------------------------------------------------------------

# -- API v2 --

V2_PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}


def v2_create(dep, caller, name, **props):
    body = dict(name=name, disk_format='raw', container_format='bare', **props)
    return requests.post(dep.url + '/v2/images', headers=caller, json=body)


def v2_url(dep, image_id):
    return '%s/v2/images/%s' % (dep.url, image_id)


def v2_patch(dep, caller, image_id, *ops):
    return requests.patch(v2_url(dep, image_id), headers={**caller, **V2_PATCH},
                          json=list(ops))


def test_v2_create_of_a_protected_property_is_403(dep):
    resp = v2_create(dep, MEMBER, 'v2-secret', x_secret_key='k')
    assert resp.status_code == 403 and 'x_secret_key' in resp.text
    assert v2_create(dep, OPS, 'v2-secret', x_secret_key='k').status_code == 201


def test_v2_unreadable_properties_are_hidden_and_kept_across_a_patch(dep):
    image = v2_create(dep, OPS, 'v2-hidden', x_secret_key='k', os_distro='a').json()
    shown = requests.get(v2_url(dep, image['id']), headers=MEMBER).json()
    assert 'x_secret_key' not in shown and shown['os_distro'] == 'a'
    listed = requests.get(dep.url + '/v2/images', headers=MEMBER,
                          params={'name': 'v2-hidden'}).json()['images']
    assert [('x_secret_key' in i) for i in listed] == [False]
    resp = v2_patch(dep, MEMBER, image['id'],
                    {'op': 'replace', 'path': '/os_distro', 'value': 'b'})
    assert resp.status_code == 200, resp.text
    assert requests.get(v2_url(dep, image['id']), headers=OPS).json()['x_secret_key'] == 'k'


def test_v2_patch_respects_update_and_delete_rules(dep):
    image = v2_create(dep, BILLING, 'v2-frozen', x_frozen_a='1', x_billing_code='c').json()
    resp = v2_patch(dep, MEMBER, image['id'],
                    {'op': 'replace', 'path': '/x_frozen_a', 'value': '2'})
    assert resp.status_code == 403
    resp = v2_patch(dep, MEMBER, image['id'], {'op': 'remove', 'path': '/x_frozen_a'})
    assert resp.status_code == 403
    resp = v2_patch(dep, MEMBER, image['id'],
                    {'op': 'replace', 'path': '/x_billing_code', 'value': 'd'})
    assert resp.status_code == 403
    resp = v2_patch(dep, BILLING, image['id'],
                    {'op': 'replace', 'path': '/x_billing_code', 'value': 'd'})
    assert resp.status_code == 200 and resp.json()['x_billing_code'] == 'd'


@pytest.mark.parametrize('rules,message', [
    ('[x(]\ncreate = @\nread = @\nupdate = @\ndelete = @\n',
     'Invalid regular expression [x(]'),
    ('[.*]\ncreate = @\nread = @\nupdate = @\n', '[.*] does not say who may delete'),
    ('[.*]\ncreate = @,!\nread = @\nupdate = @\ndelete = @\n',
     "'@' and '!' exclude each other"),
])
def test_glance_api_refuses_to_start_with_a_bad_rules_file(server_factory, tmp_path,
                                                           rules, message):
    (tmp_path / 'protections.conf').write_text(rules)
    api = server_factory('glance-api', {
        'DEFAULT': {'workers': '0', 'property_protection_file': 'protections.conf'},
        'glance_store': {'filesystem_store_datadir': str(tmp_path / 'images')}},
        workdir=tmp_path)
    api.launch()
    assert api.wait(timeout=60) != 0
    stderr = api.stderr_text()
    assert 'Traceback' not in stderr
    [line] = stderr.strip().splitlines()
    assert line.startswith('ERROR: %s: ' % (tmp_path / 'protections.conf'))
    assert message in line


def test_glance_api_refuses_a_missing_rules_file(server_factory, tmp_path):
    api = server_factory('glance-api', {
        'DEFAULT': {'workers': '0', 'property_protection_file': 'absent.conf'},
        'glance_store': {'filesystem_store_datadir': str(tmp_path / 'images')}},
        workdir=tmp_path)
    api.launch()
    assert api.wait(timeout=60) != 0
    assert api.stderr_text().strip() == (
        'ERROR: Unable to find the property protections file absent.conf')
