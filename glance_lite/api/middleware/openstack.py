"""Paste factories for the OpenStack middleware in Glance's pipelines (``authtoken``,
``cors``, ``http_proxy_to_wsgi``), handed glance_lite's own parsed configuration.

Left to themselves these filters read a process-global configuration or search for
files by project name, so options in the files given with ``--config-file`` (e.g.
``[keystone_authtoken]``, ``[cors]``) would be ignored.
"""
from keystonemiddleware import auth_token
from oslo_middleware import cors, http_proxy_to_wsgi

from glance_lite.common import config


def authtoken_factory(global_conf, **local_conf):
    options = dict(local_conf, oslo_config_config=config.conf_from_paste(global_conf))
    return lambda app: auth_token.AuthProtocol(app, options)


def cors_factory(global_conf, **local_conf):
    conf = config.conf_from_paste(global_conf)
    return lambda app: _OnlyWithOrigin(cors.CORS(app, conf), app)


class _OnlyWithOrigin:
    """CORS for requests that carry an ``Origin`` header; the rest go straight to the
    app, as oslo's filter would leave them unchanged anyway (it costs more per request
    than a metadata call's own work)."""

    def __init__(self, cors_filter, app):
        self.cors_filter = cors_filter
        self.app = app

    def __call__(self, environ, start_response):
        target = self.cors_filter if 'HTTP_ORIGIN' in environ else self.app
        return target(environ, start_response)


def http_proxy_to_wsgi_factory(global_conf, **local_conf):
    conf = config.conf_from_paste(global_conf)

    def filter(app):
        proxy = http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
        # Off (the default), the filter changes nothing: leave it out of the chain.
        # A reload loads the pipeline again, so a changed option still takes effect.
        return proxy if conf.oslo_middleware.enable_proxy_headers_parsing else app
    return filter
