"""Paste filter ``versionnegotiation``: picks the API version of a request.

Sits before the context filters.  ``/versions`` gets the versions document (200); an
``Accept: application/vnd.openstack.images-vN`` header or the first path segment picks
the API; anything else gets the versions document with 300 Multiple Choices.
"""
from glance_lite.api import versions
from glance_lite.common import config, wsgi

_ACCEPT_PREFIX = 'application/vnd.openstack.images-'


class VersionNegotiationFilter(wsgi.Middleware):
    def __init__(self, application, conf):
        super().__init__(application)
        self.tokens = versions.allowed_tokens(conf)
        self.versions_app = versions.VersionsApp(conf)
        self.versions_ok = versions.VersionsApp(conf, status=200)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        conf = config.conf_from_paste(global_conf)
        return lambda app: cls(app, conf)

    def process_request(self, req):
        segments = req.path_info.strip('/').split('/')
        if segments[0] == 'versions':
            return req.get_response(self.versions_ok)
        accept = req.headers.get('Accept', '')
        if accept.startswith(_ACCEPT_PREFIX):
            token = accept[len(_ACCEPT_PREFIX):]
            prefix = self.tokens.get(token)
            if prefix is None:
                return req.get_response(self.versions_app)
            req.path_info = '/%s%s' % (prefix, req.path_info)
            return None
        prefix = self.tokens.get(segments[0])
        if prefix is None:
            return req.get_response(self.versions_app)
        rest = req.path_info.lstrip('/')[len(segments[0]):]
        req.path_info = '/%s%s' % (prefix, rest)
        return None
