"""A real glance-registry + glance-api pair for functional tests.

The registry gets a fresh SQLite database synced by the real ``glance-manage``; the api
gets the file store in ``<workdir>/images``.  Both run as console scripts on free ports.
"""
import os
import shutil
import subprocess

from tests.functional import fixtures

REPO_ETC = os.path.join(os.path.dirname(__file__), '..', '..', 'etc')


def fetching_from(source):
    """api options that let glance-api fetch from a test's local HTTP source (loopback
    is refused by default)."""
    return {'import_filtering_opts': {'allowed_hosts': '127.0.0.1',
                                      'allowed_ports': str(source.port)}}


class Deployment:
    def __init__(self, workdir, api_conf=None, registry_conf=None, flavor=None,
                 registry_flavor=None, db_url=None):
        self.workdir = str(workdir)
        self.datadir = os.path.join(self.workdir, 'images')
        os.makedirs(self.datadir, exist_ok=True)
        for name in ('policy.json', 'schema-image.json'):
            shutil.copy(os.path.join(REPO_ETC, name), self.workdir)
        self.db_url = db_url or 'sqlite:///%s' % os.path.join(self.workdir, 'glance.sqlite')
        registry_sections = {'DEFAULT': {'workers': '0'},
                             'database': {'connection': self.db_url}}
        if registry_flavor:
            registry_sections['paste_deploy'] = {'flavor': registry_flavor}
        self.registry = fixtures.ServerProcess(
            'glance-registry', self.workdir,
            fixtures.merge_sections(registry_sections, registry_conf))
        self._api_sections = fixtures.merge_sections({
            'DEFAULT': {'workers': '0', 'registry_host': '127.0.0.1'},
            'glance_store': {'stores': 'file, http', 'default_store': 'file',
                             'filesystem_store_datadir': self.datadir},
        }, api_conf)
        if flavor:
            self._api_sections.setdefault('paste_deploy', {})['flavor'] = flavor
        self.api = None

    def start(self):
        self.sync_db()
        self.registry.start()
        self._api_sections['DEFAULT']['registry_port'] = str(self.registry.port)
        self.api = fixtures.ServerProcess('glance-api', self.workdir, self._api_sections)
        self.api.start()
        return self

    def sync_db(self):
        conf = os.path.join(self.workdir, 'glance-manage.conf')
        fixtures.write_conf(conf, {'database': {'connection': self.db_url}})
        subprocess.run([fixtures.venv_bin('glance-manage'), '--config-file', conf,
                        'db_sync'], check=True, capture_output=True, timeout=120)

    @property
    def url(self):
        return self.api.url

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        for proc in (self.api, self.registry):
            if proc is not None:
                proc.stop()

    def stored_files(self):
        """Every file under the file store's directory, temporary ones included."""
        found = []
        for root, _dirs, files in os.walk(self.datadir):
            found += [os.path.join(root, f) for f in files]
        return found
