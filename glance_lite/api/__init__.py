"""glance-api: the paste composite that mounts /, /v1 and /v2."""
import webob.dec

from glance_lite.common import config, wsgi


class PrefixMap:
    """Dispatches to the app mounted at the longest matching path prefix, moving the
    prefix from PATH_INFO to SCRIPT_NAME as WSGI expects."""

    def __init__(self, apps):
        self._apps = sorted(((p.rstrip('/'), a) for p, a in apps.items()),
                            key=lambda item: len(item[0]), reverse=True)

    @webob.dec.wsgify
    def __call__(self, req):
        path = req.path_info
        for prefix, app in self._apps:
            if path == prefix or path.startswith(prefix + '/') or not prefix:
                req.script_name += prefix
                req.path_info = path[len(prefix):]
                return req.get_response(app)
        return wsgi.ErrorResponse(404, 'The resource could not be found.')


def root_app_factory(loader, global_conf, **local_conf):
    conf = config.conf_from_paste(global_conf)
    if not conf.enable_v1_api:
        local_conf.pop('/v1', None)
    if not conf.enable_v2_api:
        local_conf.pop('/v2', None)
    return PrefixMap({path: loader.get_app(name, global_conf=global_conf)
                      for path, name in local_conf.items()})
