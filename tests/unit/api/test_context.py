import pytest
import webob
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite.api import policy
from glance_lite.api.middleware import context as context_mw
from glance_lite.common import context, exception


def make(cls=context_mw.ContextMiddleware, **overrides):
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    conf([])
    for name, value in overrides.items():
        conf.set_override(name, value)
    seen = {}

    def app(environ, start_response):
        seen['ctx'] = environ['glance.context']
        start_response('200 OK', [])
        return [b'']

    return cls(app, conf), seen, conf


CONFIRMED = {'X-Identity-Status': 'Confirmed', 'X-User-Id': 'u1', 'X-Tenant-Id': 't1',
             'X-Roles': 'Member, ADMIN', 'X-Auth-Token': 'tok'}


def test_identity_headers_make_the_context():
    mw, seen, _ = make()
    resp = webob.Request.blank('/', headers=CONFIRMED).get_response(mw)
    assert resp.status_int == 200
    ctx = seen['ctx']
    assert (ctx.user_id, ctx.project_id, ctx.owner) == ('u1', 't1', 't1')
    assert ctx.auth_token == 'tok'
    assert ctx.is_admin  # admin_role is compared case-insensitively
    assert resp.headers['x-openstack-request-id'].startswith('req-')


def test_owner_is_user_when_owner_is_tenant_is_false():
    mw, seen, _ = make(owner_is_tenant=False, admin_role='boss')
    webob.Request.blank('/', headers=CONFIRMED).get_response(mw)
    assert seen['ctx'].owner == 'u1'
    assert not seen['ctx'].is_admin


def test_unconfirmed_identity_is_401_unless_anonymous_access():
    mw, seen, _ = make()
    assert webob.Request.blank('/').get_response(mw).status_int == 401
    mw, seen, conf = make(allow_anonymous_access=True)
    assert webob.Request.blank('/').get_response(mw).status_int == 200
    ctx = seen['ctx']
    assert ctx.read_only and not ctx.is_admin and ctx.owner is None
    rules = policy.Policy(conf)
    assert rules.allows(ctx, 'get_images')
    for action in ('add_image', 'modify_image', 'delete_image', 'add_member'):
        assert not rules.allows(ctx, action)


def test_unauthenticated_context_is_admin_without_owner():
    mw, seen, _ = make(context_mw.UnauthenticatedContextMiddleware)
    webob.Request.blank('/', headers=CONFIRMED).get_response(mw)
    assert seen['ctx'].is_admin and seen['ctx'].owner is None


def test_request_id_is_kept_and_capped():
    mw, _, _ = make()
    resp = webob.Request.blank('/', headers=dict(CONFIRMED, **{
        'X-Openstack-Request-Id': 'req-mine'})).get_response(mw)
    assert resp.headers['x-openstack-request-id'] == 'req-mine'
    resp = webob.Request.blank('/', headers=dict(CONFIRMED, **{
        'X-Openstack-Request-Id': 'r' * 65})).get_response(mw)
    assert resp.status_int == 431


def test_policy_refuses_publicize_to_members_and_reads_policy_file(tmp_path):
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    (tmp_path / 'policy.json').write_text('{"get_images": "role:reader"}')
    conf(['--config-dir', str(tmp_path)])
    rules = policy.Policy(conf)
    member = context.RequestContext(roles=['member'], project_id='p')
    assert not rules.allows(member, 'publicize_image')
    assert rules.allows(member, 'add_image')
    assert not rules.allows(member, 'get_images')
    # stricter than Glance: pointing the server at URLs is admin-only by default
    with pytest.raises(exception.Forbidden):
        rules.enforce(member, 'set_image_location')
