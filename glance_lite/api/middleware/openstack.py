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
    return lambda app: cors.CORS(app, conf)


def http_proxy_to_wsgi_factory(global_conf, **local_conf):
    conf = config.conf_from_paste(global_conf)
    return lambda app: http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
