"""Paste filters ``context`` and ``unauthenticated-context``.

``context`` builds the request context from the identity headers that keystonemiddleware
(or, for a trusted-auth registry, glance-api) has set; it must sit after ``authtoken``.
``unauthenticated-context`` gives every request an admin context with no user or
project: the pipelines without authentication.  Both cap the incoming request id.
"""
import json
import uuid

import webob

from glance_lite.common import config, context, wsgi

REQUEST_ID_HEADER = 'x-openstack-request-id'


class _ContextMiddleware(wsgi.Middleware):
    def __init__(self, application, conf):
        super().__init__(application)
        self.owner_is_tenant = conf.owner_is_tenant
        self.admin_role = conf.admin_role.lower()
        self.allow_anonymous = conf.allow_anonymous_access
        self.max_request_id_length = conf.max_request_id_length

    @classmethod
    def factory(cls, global_conf, **local_conf):
        conf = config.conf_from_paste(global_conf)
        return lambda app: cls(app, conf)

    def process_request(self, req):
        request_id = req.headers.get('X-Openstack-Request-Id')
        if request_id and len(request_id) > self.max_request_id_length:
            return wsgi.ErrorResponse(431, 'X-Openstack-Request-Id is longer than %d '
                                           'characters.' % self.max_request_id_length)
        request_id = request_id or 'req-%s' % uuid.uuid4()
        req.environ['openstack.request_id'] = request_id
        ctx = self.make_context(req, request_id)
        if isinstance(ctx, webob.Response):
            return ctx
        req.environ['glance.context'] = ctx
        return None

    def __call__(self, environ, start_response):
        def with_request_id(status, headers, exc_info=None):
            request_id = environ.get('openstack.request_id')
            if request_id:
                headers = [h for h in headers if h[0].lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        return super().__call__(environ, with_request_id)


class ContextMiddleware(_ContextMiddleware):
    def make_context(self, req, request_id):
        if req.headers.get('X-Identity-Status') != 'Confirmed':
            if not self.allow_anonymous:
                return wsgi.ErrorResponse(401, 'Authentication required')
            return context.RequestContext(
                owner_is_tenant=self.owner_is_tenant, read_only=True, is_admin=False,
                request_id=request_id)
        roles = [r.strip() for r in req.headers.get('X-Roles', '').split(',') if r.strip()]
        catalog = req.headers.get('X-Service-Catalog')
        if catalog:
            try:
                catalog = json.loads(catalog)
            except ValueError:
                return wsgi.ErrorResponse(400, 'Invalid service catalog json.')
        return context.RequestContext(
            owner_is_tenant=self.owner_is_tenant,
            user_id=req.headers.get('X-User-Id'),
            project_id=req.headers.get('X-Project-Id') or req.headers.get('X-Tenant-Id'),
            roles=roles,
            is_admin=self.admin_role in [r.lower() for r in roles],
            auth_token=req.headers.get('X-Auth-Token'),
            service_catalog=catalog,
            request_id=request_id)


class UnauthenticatedContextMiddleware(_ContextMiddleware):
    def make_context(self, req, request_id):
        return context.RequestContext(owner_is_tenant=self.owner_is_tenant, is_admin=True,
                                      request_id=request_id)
