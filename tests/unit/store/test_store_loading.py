"""Loading drivers from entry points, finding them, and checking user locations."""
import pytest
from stevedore import extension

from glance_lite.common import exception
from glance_lite.store import Capability, Store, Stores, load_stores
from glance_lite.store import filesystem, http, location
from store_testlib import make_conf


@pytest.fixture
def conf(tmp_path):
    return make_conf(filesystem_store_datadir=str(tmp_path / 'images'))


def test_default_stores_are_file_and_http(conf):
    stores = load_stores(conf)
    assert stores.schemes == ('file', 'filesystem', 'http', 'https')
    assert isinstance(stores.default, filesystem.FilesystemStore)
    assert stores.get('file') is stores.get('filesystem') is stores.get(' FILE ')
    assert stores.get('http') is stores.get('https')
    assert isinstance(stores.get('http'), http.HttpStore)
    assert len(list(stores)) == 2


def test_for_uri_picks_by_scheme(conf):
    stores = load_stores(conf)
    assert stores.for_uri('HTTPS://example.com/x') is stores.get('http')
    assert stores.for_uri('filesystem:///x/y') is stores.default


@pytest.mark.parametrize('uri,scheme', [('s3://bucket/x', 's3'), ('no-scheme', ''),
                                        ('swift+config://ref/c/o', 'swift+config')])
def test_unknown_scheme(conf, uri, scheme):
    with pytest.raises(exception.UnknownScheme) as info:
        load_stores(conf).for_uri(uri)
    assert info.value.http_status == 400
    assert info.value.msg == "Unknown scheme '%s' found in URI" % scheme


def test_stores_listed_by_scheme_name_enable_the_whole_driver(conf):
    conf.set_override('stores', ['filesystem', 'https'], 'glance_store')
    assert load_stores(conf).schemes == ('file', 'filesystem', 'http', 'https')


def test_only_listed_drivers_are_loaded(conf):
    conf.set_override('stores', ['file'], 'glance_store')
    stores = load_stores(conf)
    assert stores.schemes == ('file', 'filesystem')
    with pytest.raises(exception.UnknownScheme):
        stores.for_uri('http://example.com/x')


def test_unknown_store_name_refuses_to_start(conf):
    conf.set_override('stores', ['file', 'nope'], 'glance_store')
    with pytest.raises(exception.BadStoreConfiguration) as info:
        load_stores(conf)
    assert "'nope'" in str(info.value) and '[glance_store] stores' in str(info.value)


def test_empty_store_list_refuses_to_start(conf):
    conf.set_override('stores', [], 'glance_store')
    with pytest.raises(exception.BadStoreConfiguration) as info:
        load_stores(conf)
    assert '[glance_store] stores' in str(info.value)


def test_default_store_must_be_enabled(conf):
    conf.set_override('stores', ['file'], 'glance_store')
    conf.set_override('default_store', 'http', 'glance_store')
    with pytest.raises(RuntimeError) as info:
        load_stores(conf)
    assert str(info.value) == 'Store for scheme http not found'


def test_a_driver_refusing_its_options_stops_loading(conf, tmp_path):
    conf.set_override('filesystem_store_file_perm', 999, 'glance_store')
    with pytest.raises(exception.BadStoreConfiguration) as info:
        load_stores(conf)
    assert 'filesystem_store_file_perm' in str(info.value)


@pytest.fixture
def extra_drivers(tmp_path, monkeypatch):
    """A real installed distribution adding entry points to our namespace."""
    dist = tmp_path / 'site' / 'glance_lite_test_plugins-1.0.dist-info'
    dist.mkdir(parents=True)
    (dist / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: glance-lite-test-plugins\nVersion: 1.0\n')
    (dist / 'entry_points.txt').write_text(
        '[glance_lite.store.drivers]\n'
        'broken = glance_lite_test_no_such_module:Store\n'
        'notastore = json:loads\n')
    monkeypatch.syspath_prepend(str(tmp_path / 'site'))
    # stevedore remembers a namespace's entry points for the life of the process
    monkeypatch.setattr(extension.ExtensionManager, 'ENTRY_POINT_CACHE', {})


@pytest.mark.parametrize('name,text', [('broken', 'failed to load'),
                                       ('notastore', 'not a glance_lite Store')])
def test_driver_that_fails_to_load_refuses_to_start(conf, extra_drivers, name, text):
    conf.set_override('stores', ['file', name], 'glance_store')
    with pytest.raises(exception.BadStoreConfiguration) as info:
        load_stores(conf)
    assert text in str(info.value) and repr(name) in str(info.value)


def test_writable_driver_must_implement_add_and_delete():
    with pytest.raises(TypeError):
        class HalfDone(Store):  # noqa: F841
            schemes = ('half',)
            capabilities = Capability.READ | Capability.WRITE

            def _get(self, uri, offset, length):
                pass

            def _get_size(self, uri):
                return 0


# -- user-supplied locations ----------------------------------------------------------

@pytest.fixture
def stores(conf):
    return load_stores(conf)


@pytest.mark.parametrize('uri', [
    'file:///etc/passwd', 'FILE:///etc/passwd', 'File:/etc/passwd', 'file:etc/passwd',
    'filesystem:///etc/passwd', 'FileSystem://x', 'swift+config://ref1/c/o',
    'SWIFT+CONFIG://ref1/c/o', ' file:///etc/passwd', 'fi\tle:///etc/passwd',
    '\x00file:///etc/passwd', 'file\n:///etc/passwd'])
def test_local_schemes_are_refused_in_any_spelling(stores, uri):
    with pytest.raises(exception.ExternalSourceNotSupported) as info:
        location.validate_external_location(uri, stores)
    assert info.value.http_status == 400
    assert info.value.msg.startswith('External sources are not supported: ')


def test_refusal_message_quotes_the_url():
    err = exception.ExternalSourceNotSupported(uri='file:///etc/passwd')
    assert err.msg == "External sources are not supported: 'file:///etc/passwd'"


def test_swift_config_credentials_are_not_echoed(stores):
    with pytest.raises(exception.ExternalSourceNotSupported) as info:
        location.validate_external_location('swift+config://acct:s3cr3t@ref/c/o', stores)
    assert 's3cr3t' not in info.value.msg and 'acct' not in info.value.msg


@pytest.mark.parametrize('uri', [None, '', '   '])
def test_empty_location(stores, uri):
    with pytest.raises(exception.InvalidLocation) as info:
        location.validate_external_location(uri, stores)
    assert info.value.msg == 'External source should not be empty'
    assert info.value.http_status == 400


@pytest.mark.parametrize('uri', ['gopher://host/x', 'http://', 'http:///x',
                                 'http://u:pw@host:99999/x', 'http://host/a b', 'nonsense',
                                 'https://u:pw@[::1/x'])
def test_invalid_locations(stores, uri):
    with pytest.raises(exception.InvalidLocation) as info:
        location.validate_external_location(uri, stores)
    assert info.value.msg == 'Invalid location %s' % location.redact_uri(uri)
    assert 'pw' not in info.value.msg


def test_http_location_to_an_internal_host_is_refused(stores):
    for uri in ('http://localhost/x', 'http://169.254.169.254/', 'http://u:pw@127.1/'):
        with pytest.raises(exception.ForbiddenLocation) as info:
            location.validate_external_location(uri, stores)
        assert info.value.http_status == 400 and 'pw' not in info.value.msg


def test_http_location_on_a_public_literal_is_accepted(stores):
    # No network: an IP literal resolves locally.
    store = location.validate_external_location('https://192.0.2.7/image.qcow2', stores)
    assert store is stores.get('https')
    assert stores.validate_external_location('http://192.0.2.7/x') is store
    with pytest.raises(exception.ExternalSourceNotSupported):
        stores.validate_external_location('file:///etc/passwd')


@pytest.mark.parametrize('uri,expected', [
    ('http://user:pass@host/x', 'http://***@host/x'),
    ('swift+https://acct:user:key@auth/v2.0/c/o', 'swift+https://***@auth/v2.0/c/o'),
    ('http://u:p@ss@host:80/x?y=a@b', 'http://***@host:80/x?y=a@b'),
    ('http://host/path@x', 'http://host/path@x'),
    ('user:pass@host/x', '***@host/x'),
    ('http:user:pass@host/x', '***@host/x'),
    ('', ''), (None, ''),
])
def test_redact_uri(uri, expected):
    assert location.redact_uri(uri) == expected


def test_stores_container_without_default_is_an_error():
    with pytest.raises(RuntimeError):
        Stores({}, 'file')
