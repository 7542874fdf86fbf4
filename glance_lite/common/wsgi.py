"""WSGI building blocks: a route table with automatic 405, a resource that maps
exceptions to responses in one place, and a middleware base."""
import json
import logging

import routes
import webob
import webob.dec
import webob.exc

from glance_lite.common import exception

LOG = logging.getLogger(__name__)

KNOWN_METHODS = frozenset(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])


def http_error(exc):
    """The webob error response for a glance_lite exception (one table for all)."""
    cls = webob.exc.status_map.get(exc.http_status, webob.exc.HTTPInternalServerError)
    return cls(explanation=exc.msg)


def json_response(body, status=200, headers=None):
    resp = webob.Response(status=status, content_type='application/json', charset=None)
    resp.body = json.dumps(body).encode('utf-8')
    if headers:
        resp.headers.update(headers)
    return resp


def json_body(req):
    """The request body parsed as JSON, or 400 with a message."""
    if not req.body:
        return None
    try:
        return json.loads(req.body)
    except ValueError as e:
        raise exception.Invalid('Malformed JSON in request body: %s' % e)


class Resource:
    """Calls ``controller.<action>(req, **url_args)`` and renders what it returns.

    A controller returns a ``webob.Response``, or a JSON-able object (rendered as a
    200 JSON response), or raises a ``GlanceException`` (rendered through
    :func:`http_error`).  Anything else that escapes is logged once with the request id
    and becomes a plain 500: tracebacks never reach the client.
    """

    def __init__(self, controller):
        self.controller = controller

    def dispatch(self, req, action, args):
        method = getattr(self.controller, action)
        try:
            result = method(req, **args)
        except exception.GlanceException as e:
            return http_error(e)
        except webob.exc.HTTPException as e:
            return e
        except Exception:
            LOG.exception('Unhandled error in %s %s (request %s)', req.method, req.path,
                          req.environ.get('openstack.request_id'))
            return webob.exc.HTTPInternalServerError(
                explanation='The server has either erred or is incapable of performing '
                            'the requested operation.')
        if isinstance(result, webob.Response):
            return result
        return json_response(result)


class Router:
    """A route table that reads like the API reference.

    ``connect(path, resource, {'GET': 'index', 'POST': 'create'})`` serves those
    methods and answers every other method on that path with 405 and an ``Allow``
    header; paths nobody connected are 404, unknown HTTP verbs 501.
    """

    def __init__(self):
        self._mapper = routes.Mapper()
        # Routes turns non-callable route defaults into strings, so routes carry a
        # key into this table rather than the resource itself.
        self._resources = {}

    def connect(self, path, resource, methods, allow=None):
        """:param allow: the Allow header of the 405 when it differs from ``methods``."""
        key = 'resource-%d' % id(resource)
        self._resources[key] = resource
        for method, action in methods.items():
            self._mapper.connect(path, _resource=key, _action=action,
                                 conditions={'method': [method]})
        self._mapper.connect(path, _resource=None,
                             _allow=', '.join(allow or methods))

    def reject(self, path, allow):
        """Answer every method on ``path`` with 405 (a path that exists but is read-only
        elsewhere, e.g. v1 ``GET /images/{id}/members/{m}``)."""
        self._mapper.connect(path, _resource=None, _allow=', '.join(allow))

    @webob.dec.wsgify
    def __call__(self, req):
        if req.method not in KNOWN_METHODS:
            return webob.exc.HTTPNotImplemented()
        match = self._mapper.match(environ=req.environ)
        if match is None:
            return webob.exc.HTTPNotFound()
        resource = match.pop('_resource')
        if resource is None:
            return webob.exc.HTTPMethodNotAllowed(
                headers=[('Allow', match['_allow'])],
                explanation='The method %s is not allowed for this resource.' % req.method)
        action = match.pop('_action')
        return self._resources[resource].dispatch(req, action, match)


class Middleware:
    """Base of a paste filter: ``process_request`` may answer instead of the app,
    ``process_response`` may change the app's answer."""

    def __init__(self, application):
        self.application = application

    def process_request(self, req):
        return None

    def process_response(self, response):
        return response

    @webob.dec.wsgify
    def __call__(self, req):
        response = self.process_request(req)
        if response is not None:
            return response
        response = req.get_response(self.application)
        return self.process_response(response)
