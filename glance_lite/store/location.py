"""Location URIs: their scheme, a credential-free form for messages and logs, and
the check applied to locations users supply.

Location strings come from users; they are parsed and only ever used as data.
"""
import logging
import re

from glance_lite.common import exception

LOG = logging.getLogger(__name__)

#: Schemes a user may never point an image at: they read the API host's own files
#: or the operator's credentials (OSSA-2014-041, OSSA-2015-002).
LOCAL_SCHEMES = frozenset(['file', 'filesystem', 'swift+config'])

_SCHEME = re.compile(r'^([A-Za-z][A-Za-z0-9+.\-]*):')
# Characters a URI never contains and that parsers disagree about (urllib strips
# some of them silently): their presence makes a location invalid.
_CONTROL_OR_SPACE = re.compile(r'[\x00-\x20\x7f]')


def scheme_of(uri):
    """The lower-cased scheme of ``uri``, or '' when it has none."""
    match = _SCHEME.match(uri or '')
    return match.group(1).lower() if match else ''


def redact_uri(uri):
    """``uri`` with any ``user:password@`` replaced by ``***@``; never raises.

    Use it for every URI that goes into a message or a log line.
    """
    if not uri:
        return ''
    uri = str(uri)
    match = _SCHEME.match(uri)
    if match and uri.startswith('//', match.end()):
        start = match.end() + 2
    else:
        start = 0  # no authority marker: "user:pass@host" must not pass as a scheme
    end = len(uri)
    for sep in '/?#':
        pos = uri.find(sep, start)
        if pos != -1:
            end = min(end, pos)
    at = uri.rfind('@', start, end)
    if at == -1:
        return uri
    return uri[:start] + '***' + uri[at:]


def validate_external_location(uri, stores):
    """Check a location a user supplied (v1 ``x-image-meta-location``,
    ``x-glance-api-copy-from``, v2 location PATCH) before it is used or recorded.

    :param stores: the enabled stores (``glance_lite.store.Stores``).
    :returns: the ``Store`` serving ``uri``.
    :raises InvalidLocation: empty, malformed, or a scheme no enabled store serves
        (400 "External source should not be empty" / "Invalid location <url>").
    :raises ExternalSourceNotSupported: a local scheme (``file``, ``filesystem``,
        ``swift+config``, in any case or with stray whitespace) (400).
    :raises ForbiddenLocation: the store's host filter refuses it (400).
    Messages carry the URI without credentials.
    """
    if uri is None or not str(uri).strip():
        raise exception.InvalidLocation('External source should not be empty')
    uri = str(uri)
    safe = redact_uri(uri)
    # Judge the scheme the way the most lenient parser would read it, so that
    # " file:" or "fi\tle:" cannot slip through as "unknown" here and "file"
    # somewhere else.
    if scheme_of(_CONTROL_OR_SPACE.sub('', uri)) in LOCAL_SCHEMES:
        LOG.info('Refused local external location %s', safe)
        raise exception.ExternalSourceNotSupported(uri=safe)
    if _CONTROL_OR_SPACE.search(uri):
        raise exception.InvalidLocation(uri=safe)
    try:
        store = stores.for_uri(uri)
        store.validate_location(uri)
    except exception.ForbiddenLocation:
        raise
    except (exception.UnknownScheme, exception.BadStoreUri):
        raise exception.InvalidLocation(uri=safe)
    return store
