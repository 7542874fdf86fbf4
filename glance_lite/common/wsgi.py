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

# Block size of wsgi.file_wrapper when it iterates (TLS; sendfile ignores it).
DATA_BLOCK_SIZE = 1024 * 1024

KNOWN_METHODS = frozenset(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])


class ErrorResponse(webob.exc.WSGIHTTPException):
    """An HTTP error whose body is plain text unless the client asks for more.

    webob answers ``Accept: */*`` with an HTML page whose quotes are escaped as
    entities, which command-line clients then print verbatim; plain text reads better.
    ``application/json`` gets ``{"message", "code", "title"}`` and an explicit
    ``text/html`` the page.
    """

    def __init__(self, status, message, headers=None):
        cls = webob.exc.status_map.get(status, webob.exc.HTTPInternalServerError)
        self.code, self.title = cls.code, cls.title
        self.explanation = message
        super().__init__(explanation=message, headers=headers)

    def generate_response(self, environ, start_response):
        accept = environ.get('HTTP_ACCEPT', '')
        if 'application/json' in accept or 'text/html' in accept:
            return super().generate_response(environ, start_response)
        body = ('%s\n\n%s\n\n' % (self.status, self.explanation)).encode('utf-8')
        headers = [(k, v) for k, v in self.headerlist
                   if k.lower() not in ('content-type', 'content-length')]
        headers += [('Content-Type', 'text/plain; charset=UTF-8'),
                    ('Content-Length', str(len(body)))]
        start_response(self.status, headers)
        return [body] if environ['REQUEST_METHOD'] != 'HEAD' else []


def http_error(exc):
    """The error response for a glance_lite exception (one table for all)."""
    return ErrorResponse(exc.http_status, exc.msg,
                         headers=list(getattr(exc, 'headers', {}).items()) or None)


def has_body(req):
    """True when the request carries a body (chunked, or a non-zero Content-Length)."""
    if 'chunked' in req.headers.get('Transfer-Encoding', '').lower():
        return True
    return bool(req.content_length)


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


def data_body(req, chunks):
    """The app_iter for image data: ``chunks`` themselves, or, when they are a local
    file's (file-like, with ``fileno``), the server's ``wsgi.file_wrapper`` around
    them so the bytes go out zero-copy (sendfile) where the server can."""
    wrapper = req.environ.get('wsgi.file_wrapper')
    if wrapper is None or not hasattr(chunks, 'fileno'):
        return chunks
    return wrapper(chunks, DATA_BLOCK_SIZE)


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
            return ErrorResponse(500, 'The server has either erred or is incapable of '
                                      'performing the requested operation.')
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

    def connect(self, path, resource, methods, allow=None, refuse=None):
        """:param allow: the Allow header of the 405 when it differs from ``methods``.
        :param refuse: ``{method: allow}`` for methods whose 405 names its own Allow
            header (Glance's registry answers POST on a member list with
            ``Allow: PUT, DELETE``).
        """
        key = 'resource-%d' % id(resource)
        self._resources[key] = resource
        for method, action in methods.items():
            self._mapper.connect(path, _resource=key, _action=action,
                                 conditions={'method': [method]})
        for method, method_allow in (refuse or {}).items():
            self._mapper.connect(path, _resource=None, _allow=', '.join(method_allow),
                                 conditions={'method': [method]})
        self._mapper.connect(path, _resource=None,
                             _allow=', '.join(allow or methods))

    @webob.dec.wsgify
    def __call__(self, req):
        if req.method not in KNOWN_METHODS:
            return ErrorResponse(501, 'The method %s is not implemented.' % req.method)
        match = self._mapper.match(environ=req.environ)
        if match is None:
            return ErrorResponse(404, 'The resource could not be found.')
        resource = match.pop('_resource')
        if resource is None:
            return ErrorResponse(405, 'The method %s is not allowed for this resource.'
                                 % req.method, headers=[('Allow', match['_allow'])])
        action = match.pop('_action')
        return self._resources[resource].dispatch(req, action, match)


class Middleware:
    """Base of a paste filter: ``process_request`` may answer instead of the app;
    ``process_response``, when a subclass defines it, sees every answer, the app's or
    the filter's own.

    Plain WSGI underneath: a filter without ``process_response`` hands the request
    to the app untouched, with no response object built around the app's answer
    (every request crosses several filters).
    """

    def __init__(self, application):
        self.application = application
        self._sees_responses = type(self).process_response is not \
            Middleware.process_response

    def process_request(self, req):
        return None

    def process_response(self, req, response):
        return response

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        try:
            response = self.process_request(req)
        except webob.exc.HTTPException as e:
            response = e
        if response is None:
            if not self._sees_responses:
                return self.application(environ, start_response)
            response = req.get_response(self.application)
        return self.process_response(req, response)(environ, start_response)
