"""A registry app over a fresh migrated SQLite database, reached through the real client.

The database comes from tests/conftest.py (``db_url``, ``db``), pinned to SQLite here:
the registry's rules do not depend on the engine, and the db package's own tests cover
MySQL and PostgreSQL.

``client_for(ctx)`` sends the caller's identity the way glance-api does towards a
trusted-auth registry (``send_identity_headers``), and the registry rebuilds the
context with the real context middleware, so identity rules are tested end to end.
"""
import itertools
import uuid

import pytest
import webob
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite.api.middleware import context as context_middleware
from glance_lite.common import context, http
from glance_lite.conf import registry_client as registry_client_opts
from glance_lite.registry import api as registry_api, client as registry_client

_request_ids = itertools.count(1)


def make_registry_conf(db_url, **overrides):
    """glance-registry's options over the database at ``db_url``."""
    conf = cfg.ConfigOpts()
    glance_conf.register_registry_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('connection', db_url, group='database')
    for name, value in overrides.items():
        conf.set_override(name, value)
    return conf


def user(project, admin=False, user_id=None, **kwargs):
    """The context glance-api would hold for a caller of ``project``."""
    return context.RequestContext(
        user_id=user_id or 'user-%s' % project, project_id=project,
        roles=['admin'] if admin else ['member'], is_admin=admin,
        request_id='req-%d' % next(_request_ids), overwrite=False, **kwargs)


@pytest.fixture
def db_kind():
    return 'sqlite'


@pytest.fixture
def registry_conf(db_url):
    return make_registry_conf(db_url)


@pytest.fixture
def app(registry_conf, db):
    """The bare registry router (no context middleware)."""
    return registry_api.make_app(registry_conf, db)


@pytest.fixture
def trusted_app(app, registry_conf):
    """The ``glance-registry-trusted-auth`` pipeline minus the healthcheck."""
    return context_middleware.ContextMiddleware(app, registry_conf)


def make_client_conf(**overrides):
    """Options of glance-api's registry client."""
    conf = cfg.ConfigOpts()
    registry_client_opts.register_opts(conf)
    conf([], default_config_files=[])
    for name, value in overrides.items():
        conf.set_override(name, value)
    return conf


def trusted_client(app, conf, send_identity_headers=True):
    """``for_context`` of a client that reaches ``app`` as glance-api reaches a
    trusted-auth registry (without identity headers: as an anonymous caller)."""
    trusted = context_middleware.ContextMiddleware(app, conf)
    client_conf = make_client_conf(send_identity_headers=send_identity_headers)
    client = registry_client.RegistryClient(client_conf, http.WSGITransport(trusted))
    return client.for_context


@pytest.fixture
def client_for(app, registry_conf):
    return trusted_client(app, registry_conf)


@pytest.fixture
def call(trusted_app):
    """Raw request to the trusted-auth registry: ``call(method, path, ctx, json=...,
    headers=...)`` → webob Response (for status codes, headers and exact bodies)."""
    def do(method, path, ctx=None, json=None, headers=None, body=None):
        req = webob.Request.blank(path, method=method)
        req.accept = 'application/json'
        if ctx is not None:
            req.headers['X-Identity-Status'] = 'Confirmed'
            req.headers['X-Roles'] = ','.join(ctx.roles)
            if ctx.user_id:
                req.headers['X-User-Id'] = ctx.user_id
            if ctx.project_id:
                req.headers['X-Tenant-Id'] = ctx.project_id
        if json is not None:
            req.json = json
        elif body is not None:
            req.body = body
        req.headers.update(headers or {})
        return req.get_response(trusted_app)
    return do


@pytest.fixture
def admin():
    return user('admin-project', admin=True)


@pytest.fixture
def make_image(client_for):
    """Create an image as ``owner_ctx`` (defaults: queued private-ish v1 image)."""
    def create(owner_ctx, **fields):
        meta = {'name': 'img-%s' % uuid.uuid4().hex[:8], 'disk_format': 'raw',
                'container_format': 'bare', 'is_public': False, 'status': 'active',
                'size': 10}
        if 'visibility' in fields:
            del meta['is_public']
        meta.update(fields)
        return client_for(owner_ctx).add_image(meta)
    return create
