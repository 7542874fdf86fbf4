"""A glance-api + glance-registry pair with the image cache, and the cache tools run
as the real console scripts next to it (same cache directory, registry and stores,
through a generated glance-cache.conf)."""
import hashlib
import os
import subprocess

import requests

from tests.functional import deployment, fixtures

IMAGE_HEADERS = {'Content-Type': 'application/octet-stream',
                 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'}


def md5(data):
    return hashlib.md5(data).hexdigest()


class CacheDeployment(deployment.Deployment):
    """:param flavor: a caching flavor (default ``cachemanagement``).
    :param driver: ``image_cache_driver``.
    :param cache_conf: extra options for both glance-api.conf and glance-cache.conf
        (``[DEFAULT]``), e.g. ``image_cache_max_size``.
    """

    def __init__(self, workdir, flavor='cachemanagement', driver='sqlite', cache_conf=None,
                 api_conf=None, **kwargs):
        self.cache_dir = os.path.join(str(workdir), 'cache')
        self.cache_options = dict({'image_cache_dir': self.cache_dir,
                                   'image_cache_driver': driver}, **(cache_conf or {}))
        api_conf = fixtures.merge_sections({'DEFAULT': dict(self.cache_options)}, api_conf)
        super().__init__(workdir, api_conf=api_conf, flavor=flavor, **kwargs)
        self.cache_conf_path = os.path.join(self.workdir, 'glance-cache.conf')

    def start(self):
        super().start()
        self.write_cache_conf()
        return self

    def write_cache_conf(self, **extra):
        """glance-cache.conf as an operator writes it beside glance-api.conf."""
        sections = {'DEFAULT': dict(self.cache_options, registry_host='127.0.0.1',
                                    registry_port=str(self.registry.port)),
                    'glance_store': dict(self._api_sections['glance_store'])}
        # What the api needs to reach the registry, the prefetcher needs too.
        for key in ('send_identity_headers', 'metadata_encryption_key'):
            if key in self._api_sections['DEFAULT']:
                sections['DEFAULT'][key] = self._api_sections['DEFAULT'][key]
        sections['DEFAULT'].update(extra)
        fixtures.write_conf(self.cache_conf_path, sections)

    # -- images ----------------------------------------------------------------------

    def upload(self, data, headers=None):
        """A new active v1 image holding ``data``; returns its id."""
        resp = requests.post(self.url + '/v1/images', data=data,
                             headers=dict(IMAGE_HEADERS, **(headers or {})))
        assert resp.status_code == 201, resp.text
        return resp.json()['image']['id']

    def download(self, image_id, version='v1', headers=None):
        path = ('/v1/images/%s' % image_id if version == 'v1'
                else '/v2/images/%s/file' % image_id)
        return requests.get(self.url + path, headers=headers, timeout=30)

    def store_path(self, image_id):
        return os.path.join(self.datadir, image_id)

    # -- the cache directory ---------------------------------------------------------

    def cached_ids(self):
        return sorted(n for n in os.listdir(self.cache_dir)
                      if os.path.isfile(os.path.join(self.cache_dir, n)) and '-' in n
                      and not n.startswith('cache.db'))

    def files_in(self, subdir):
        path = os.path.join(self.cache_dir, subdir)
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    def cached_data(self, image_id):
        with open(os.path.join(self.cache_dir, image_id), 'rb') as f:
            return f.read()

    # -- the tools -------------------------------------------------------------------

    def run_tool(self, prog, *args, input=None, timeout=120):
        """Run a glance-cache-* console script with glance-cache.conf (cron-style:
        no terminal); returns the CompletedProcess."""
        cmd = [fixtures.venv_bin(prog)]
        if prog != 'glance-cache-manage':
            cmd += ['--config-file', self.cache_conf_path]
        env = dict(os.environ, HOME=self.workdir)
        for name in [n for n in env if n.startswith('OS_')]:
            del env[name]
        return subprocess.run(cmd + list(args), input=input, capture_output=True,
                              text=True, timeout=timeout, cwd=self.workdir, env=env)

    def manage(self, *args, input=None):
        """glance-cache-manage against this api."""
        return self.run_tool('glance-cache-manage', '-H', '127.0.0.1', '-p',
                             str(self.api.port), *args, input=input)
