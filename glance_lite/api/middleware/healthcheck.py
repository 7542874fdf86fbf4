"""Paste filter ``healthcheck``: answers ``/healthcheck`` first in every pipeline.

oslo.middleware 8 ships its health check as an app only; this filter mounts that app
at ``/healthcheck`` (with the filter section's options, e.g. ``backends =
disable_by_file``) and passes every other request on, so operators keep Glance's paste
files and monitoring unchanged.
"""
from oslo_middleware import healthcheck

from glance_lite.common import wsgi

PATH = '/healthcheck'


class HealthcheckFilter(wsgi.Middleware):
    def __init__(self, application, check_app):
        super().__init__(application)
        self.check_app = check_app

    @classmethod
    def factory(cls, global_conf, **local_conf):
        check_app = healthcheck.Healthcheck.app_factory(None, **local_conf)
        return lambda app: cls(app, check_app)

    def process_request(self, req):
        if req.path_info == PATH:
            return req.get_response(self.check_app)
        return None
