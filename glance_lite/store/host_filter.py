"""Which remote URLs glance-api may fetch image data from (SSRF protection).

Applied before every request the http store makes, including each redirect
target (OSSA-2026-004): a user-supplied location must not make the server probe
or read its own loopback services, the cloud metadata service (link-local) or
anything the operator's ``[import_filtering_opts]`` exclude.
"""
import collections
import ipaddress
import re
import socket
import urllib.parse

from glance_lite.common import exception
from glance_lite.store import location

DEFAULT_PORTS = {'http': 80, 'https': 443}

_THIS_NETWORK = ipaddress.ip_network('0.0.0.0/8')  # 0.x.x.x reaches the local host on Linux
_NUMERIC_LABEL = re.compile(r'0x[0-9a-f]*|[0-9]+', re.IGNORECASE)
_CONTROL_OR_SPACE = re.compile(r'[\x00-\x20\x7f]')
# Characters left as they are when making the request target ASCII-only.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~?"

Target = collections.namedtuple(
    'Target', 'url scheme host port request_target username password redacted')
Target.__doc__ = """A URL that passed the static checks: lower-case scheme, ASCII host
(no brackets), effective port, path+query to send, credentials (None when absent),
and the URL without credentials for messages."""


def parse_url(url):
    """The :class:`Target` of an http(s) URL.

    :raises BadStoreUri: not a well-formed absolute http(s) URL with a host.
    """
    redacted = location.redact_uri(url)
    malformed = exception.BadStoreUri(uri=redacted)
    if not url or _CONTROL_OR_SPACE.search(url):
        raise malformed
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
        host = parts.hostname
        if host:
            host = host[:-1] if host.endswith('.') else host  # "example.com." = "example.com"
            host = host if host.isascii() else host.encode('idna').decode('ascii')
    except (ValueError, UnicodeError):
        raise malformed from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not host:
        raise malformed
    path = parts.path or '/'
    if parts.query:
        path += '?' + parts.query
    return Target(
        url=url, scheme=scheme, host=host.lower(),
        port=port if port is not None else DEFAULT_PORTS[scheme],
        request_target=urllib.parse.quote(path, safe=_PATH_SAFE),
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        redacted=redacted)


def _ip_literal(host):
    """The address when ``host`` is a canonical IP literal, None for a name.

    :raises ValueError: ``host`` spells an IPv4 address some other way (``127.1``,
        ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.0.0.1.``): resolvers
        accept these, allow/deny lists written with canonical addresses would not
        recognise them.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.rstrip('.').split('.')
    numeric = all(_NUMERIC_LABEL.fullmatch(label) for label in labels)
    if not numeric:
        try:
            socket.inet_aton(host)
            numeric = True
        except OSError:
            pass
    if numeric:
        raise ValueError(host)
    return None


def refused_address_kind(ip):
    """Why the server must not connect to ``ip`` ('loopback', ...), or None."""
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
            ip = ipaddress.IPv4Address(int(ip) & 0xffffffff)
    if ip.is_loopback:
        return 'loopback'
    if ip.is_link_local:
        return 'link-local'
    if ip.is_unspecified or (ip.version == 4 and ip in _THIS_NETWORK):
        return 'unspecified'
    if ip.is_multicast:
        return 'multicast'
    return None


class HostFilter:
    """``[import_filtering_opts]`` plus the address checks.

    An "allowed" list, when non-empty, wins over its "disallowed" twin.  A URL
    without a port is judged by its scheme's default port.  Hosts listed in
    ``allowed_hosts`` (as written in the URL) skip the address checks: that is how
    an operator lets the server fetch from a loopback or link-local host.
    """

    def __init__(self, allowed_schemes=('http', 'https'), disallowed_schemes=(),
                 allowed_hosts=(), disallowed_hosts=(), allowed_ports=(80, 443),
                 disallowed_ports=(), resolve=socket.getaddrinfo):
        """:param resolve: ``getaddrinfo``-compatible function."""
        self.allowed_schemes = frozenset(s.strip().lower() for s in allowed_schemes)
        self.disallowed_schemes = frozenset(s.strip().lower() for s in disallowed_schemes)
        self.allowed_hosts = frozenset(_host_key(h) for h in allowed_hosts)
        self.disallowed_hosts = frozenset(_host_key(h) for h in disallowed_hosts)
        self.allowed_ports = frozenset(int(p) for p in allowed_ports)
        self.disallowed_ports = frozenset(int(p) for p in disallowed_ports)
        self._resolve = resolve

    @classmethod
    def from_conf(cls, conf):
        opts = conf.import_filtering_opts
        return cls(opts.allowed_schemes, opts.disallowed_schemes, opts.allowed_hosts,
                   opts.disallowed_hosts, opts.allowed_ports, opts.disallowed_ports)

    def check(self, url):
        """Parse ``url`` and apply the scheme, host, port and IP-spelling rules
        (no I/O).

        :returns: :class:`Target`.
        :raises BadStoreUri: malformed URL.
        :raises ForbiddenLocation: refused by a rule.
        """
        target = parse_url(url)

        def refuse(reason):
            return exception.ForbiddenLocation(uri=target.redacted, reason=reason)

        if _listed_out(target.scheme, self.allowed_schemes, self.disallowed_schemes):
            raise refuse('scheme %r is not allowed' % target.scheme)
        if _listed_out(target.host, self.allowed_hosts, self.disallowed_hosts):
            raise refuse('host %r is not allowed' % target.host)
        if _listed_out(target.port, self.allowed_ports, self.disallowed_ports):
            raise refuse('port %d is not allowed' % target.port)
        if target.host not in self.allowed_hosts:
            try:
                ip = _ip_literal(target.host)
            except ValueError:
                raise refuse('%r is not a canonical IP address' % target.host) from None
            kind = refused_address_kind(ip) if ip is not None else None
            if kind:
                raise refuse('%s is a %s address' % (target.host, kind))
        return target

    def addresses(self, target):
        """Resolve ``target``'s host; connect only to what this returns (resolving
        again could yield another answer).

        :returns: list of ``getaddrinfo`` tuples for TCP.
        :raises ForbiddenLocation: a resolved address is loopback, link-local,
            unspecified or multicast and the host is not in ``allowed_hosts``.
        :raises OSError: resolution failed (``socket.gaierror``).
        """
        infos = self._resolve(target.host, target.port, 0, socket.SOCK_STREAM)
        if target.host in self.allowed_hosts:
            return infos
        for info in infos:
            # sockaddr[0] may carry an IPv6 scope ("fe80::1%eth0")
            ip = ipaddress.ip_address(info[4][0].split('%', 1)[0])
            kind = refused_address_kind(ip)
            if kind:
                # Any bad answer refuses the host: round-robin names must not get
                # a second chance at an internal address.
                raise exception.ForbiddenLocation(
                    uri=target.redacted,
                    reason='host %r resolves to a %s address' % (target.host, kind))
        return infos


def _host_key(host):
    host = str(host).strip().lower()
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
    return host.rstrip('.')


def _listed_out(value, allowed, disallowed):
    if allowed:
        return value not in allowed
    return value in disallowed
