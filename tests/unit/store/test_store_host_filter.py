"""The host filter applied to http locations, without any network traffic."""
import socket

import pytest

from glance_lite.common import exception
from glance_lite.store import host_filter


def _resolver(*addresses):
    """A getaddrinfo answering ``addresses`` for every name (a DNS we control)."""
    def resolve(host, port, family=0, type=0):
        return [(socket.AF_INET6 if ':' in a else socket.AF_INET, socket.SOCK_STREAM, 6, '',
                 (a, port)) for a in addresses]
    return resolve


@pytest.mark.parametrize('host', ['2130706433', '0x7f000001', '127.1', '0177.0.0.1',
                                  '127.0.0.01', '0x7f.0.0.1', '10.1', '134744072',
                                  '0x08080808', '1.2.3.4.5'])
def test_odd_ip_spellings_are_refused(host):
    with pytest.raises(exception.ForbiddenLocation) as info:
        host_filter.HostFilter().check('http://%s/x' % host)
    assert 'not a canonical IP address' in info.value.msg
    assert info.value.http_status == 400


@pytest.mark.parametrize('url,kind', [
    ('http://127.0.0.1/', 'loopback'),
    ('http://127.255.0.9/', 'loopback'),
    ('http://[::1]/', 'loopback'),
    ('http://[::ffff:127.0.0.1]/', 'loopback'),
    ('http://[::127.0.0.1]/', 'loopback'),
    ('http://169.254.169.254/latest/meta-data/', 'link-local'),
    ('http://[fe80::1]/', 'link-local'),
    ('http://0.0.0.0/', 'unspecified'),
    ('http://0.1.2.3/', 'unspecified'),
    ('http://[::]/', 'unspecified'),
    ('http://224.0.0.1/', 'multicast'),
    ('http://[ff02::1]/', 'multicast'),
])
def test_internal_ip_literals_are_refused(url, kind):
    with pytest.raises(exception.ForbiddenLocation) as info:
        host_filter.HostFilter().check(url)
    assert kind in info.value.msg


def test_public_ip_literal_passes_and_is_parsed():
    target = host_filter.HostFilter().check('https://u%40x:p%3Aw@[2001:db8::1]/\u00e9%20?q=1#frag')
    assert (target.scheme, target.host, target.port) == ('https', '2001:db8::1', 443)
    assert target.request_target == '/%C3%A9%20?q=1'
    assert (target.username, target.password) == ('u@x', 'p:w')
    assert 'p%3Aw' not in target.redacted


@pytest.mark.parametrize('kwargs,url,reason', [
    ({}, 'http://example.com:8080/', 'port 8080'),
    ({'allowed_ports': [8080]}, 'http://example.com/', 'port 80'),
    ({'allowed_ports': [], 'disallowed_ports': [22]}, 'http://example.com:22/', 'port 22'),
    ({'allowed_schemes': ['https']}, 'http://example.com/', "scheme 'http'"),
    ({'allowed_schemes': [], 'disallowed_schemes': ['http']}, 'http://example.com/',
     "scheme 'http'"),
    ({'allowed_hosts': ['images.example.com']}, 'http://example.com/', "host 'example.com'"),
    ({'disallowed_hosts': ['Evil.Example.com']}, 'http://evil.example.COM./',
     "host 'evil.example.com'"),
])
def test_option_lists(kwargs, url, reason):
    with pytest.raises(exception.ForbiddenLocation) as info:
        host_filter.HostFilter(**kwargs).check(url)
    assert reason in info.value.msg


def test_allowed_list_wins_over_its_disallowed_twin():
    f = host_filter.HostFilter(allowed_ports=[8080], disallowed_ports=[8080])
    assert f.check('http://example.com:8080/').port == 8080


@pytest.mark.parametrize('url', ['http://', 'http:///path', 'http://host:99999/',
                                 'http://host:port/', 'http://[::1/', 'gopher://host/',
                                 'http://ho st/', 'http://host/\r\nX-Injected: 1', ''])
def test_malformed_urls(url):
    with pytest.raises(exception.BadStoreUri) as info:
        host_filter.HostFilter().check(url)
    assert not isinstance(info.value, exception.ForbiddenLocation)


def test_names_resolving_to_internal_addresses_are_refused():
    for answer in (['169.254.169.254'], ['8.8.8.8', '127.0.0.1'], ['::1']):
        f = host_filter.HostFilter(resolve=_resolver(*answer))
        target = f.check('http://user:secret@images.example.com/x')
        with pytest.raises(exception.ForbiddenLocation) as info:
            f.addresses(target)
        assert 'images.example.com' in info.value.msg and 'secret' not in info.value.msg


def test_names_resolving_to_public_addresses_pass():
    f = host_filter.HostFilter(resolve=_resolver('192.0.2.10', '2001:db8::5'))
    infos = f.addresses(f.check('http://images.example.com/x'))
    assert [i[4][0] for i in infos] == ['192.0.2.10', '2001:db8::5']


def test_allowed_hosts_may_be_internal():
    f = host_filter.HostFilter(allowed_hosts=['metadata.internal', '127.0.0.1'],
                               resolve=_resolver('169.254.169.254'))
    assert f.addresses(f.check('http://metadata.internal/x'))
    f.check('http://127.0.0.1/x')
    with pytest.raises(exception.ForbiddenLocation):
        f.check('http://127.1/x')


def test_localhost_really_resolves_to_loopback():
    f = host_filter.HostFilter()
    with pytest.raises(exception.ForbiddenLocation) as info:
        f.addresses(f.check('http://localhost/x'))
    assert 'loopback' in info.value.msg


def test_from_conf_reads_import_filtering_opts():
    from store_testlib import make_conf
    conf = make_conf(import_filtering_opts__allowed_ports=[8443],
                     import_filtering_opts__disallowed_hosts=['bad.example'])
    f = host_filter.HostFilter.from_conf(conf)
    assert f.allowed_ports == {8443} and f.disallowed_hosts == {'bad.example'}
    assert f.allowed_schemes == {'http', 'https'}
