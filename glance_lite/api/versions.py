"""The versions document (200 for /versions, 300 Multiple Choices elsewhere)."""
import webob.dec

from glance_lite.common import config, wsgi

# Newest first, as Glance lists them: (id, status, major).  Only the API versions this
# server really serves are ever advertised.  v2.6 (interoperable import) is listed as
# Glance does with no import method enabled: /v2/info/import answers an empty list.
_V2 = ([('v2.7', 'CURRENT', 'v2')]
       + [('v2.%d' % minor, 'SUPPORTED', 'v2') for minor in range(6, -1, -1)])
_V1 = [('v1.1', 'DEPRECATED', 'v1'), ('v1.0', 'DEPRECATED', 'v1')]


def served_versions(conf):
    versions = []
    if conf.enable_v2_api:
        versions += _V2
    if conf.enable_v1_api:
        versions += _V1
    return versions


def allowed_tokens(conf):
    """URL or Accept tokens that select an API, mapped to its path prefix."""
    tokens = {}
    for vid, _status, major in served_versions(conf):
        tokens[vid] = major
        tokens[major] = major
    return tokens


def document(conf, host_url):
    base = (conf.public_endpoint or host_url).rstrip('/')
    return {'versions': [
        {'id': vid, 'status': status,
         'links': [{'rel': 'self', 'href': '%s/%s/' % (base, major)}]}
        for vid, status, major in served_versions(conf)]}


class VersionsApp:
    def __init__(self, conf, status=300):
        self.conf = conf
        self.status = status

    @webob.dec.wsgify
    def __call__(self, req):
        return wsgi.json_response(document(self.conf, req.host_url), status=self.status)


def app_factory(global_conf, **local_conf):
    return VersionsApp(config.conf_from_paste(global_conf))
