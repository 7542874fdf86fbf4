"""Store drivers: loading the enabled ones and finding the one for a URI.

``load_stores(conf)`` is called once by whoever builds a service (paste factory,
cron job ``main()``); the resulting :class:`Stores` is passed to whatever needs
image data.  Nothing here is kept in module globals.
"""
import logging

from stevedore import driver as stevedore_driver
from stevedore import exception as stevedore_exception

from glance_lite.common import exception
from glance_lite.store import location
from glance_lite.store.base import Capability, Store
from glance_lite.store.location import redact_uri, validate_external_location

__all__ = ['Capability', 'Store', 'Stores', 'load_stores', 'redact_uri',
           'validate_external_location']

LOG = logging.getLogger(__name__)

NAMESPACE = 'glance_lite.store.drivers'


class Stores:
    """The enabled drivers, reachable by scheme or by entry point name."""

    def __init__(self, by_key, default_key):
        """:param by_key: ``{scheme or name: Store}`` (one instance may appear
            under several keys).
        :param default_key: key of the store new image data goes to.
        :raises RuntimeError: ``default_key`` is not among them (the server exits).
        """
        self._by_key = dict(by_key)
        if default_key not in self._by_key:
            raise RuntimeError('Store for scheme %s not found' % default_key)
        self._default = self._by_key[default_key]

    @property
    def default(self):
        """The store uploads are written to (``[glance_store] default_store``)."""
        return self._default

    @property
    def schemes(self):
        """Sorted tuple of every URI scheme an enabled driver serves."""
        return tuple(sorted({s for store in self._by_key.values() for s in store.schemes}))

    def get(self, scheme_or_name):
        """The driver for a scheme or entry point name (case-insensitive).

        :raises UnknownScheme: no enabled driver has that scheme or name (400).
        """
        key = (scheme_or_name or '').strip().lower()
        try:
            return self._by_key[key]
        except KeyError:
            raise exception.UnknownScheme(scheme=key) from None

    def for_uri(self, uri):
        """The driver serving ``uri``, chosen by its scheme.

        :raises UnknownScheme: no enabled driver serves that scheme (400
            "Unknown scheme 'x' found in URI").
        """
        scheme = location.scheme_of(uri)
        store = self._by_key.get(scheme)
        if store is None or scheme not in store.schemes:
            raise exception.UnknownScheme(scheme=scheme)
        return store

    def validate_external_location(self, uri):
        """Same as :func:`validate_external_location` with these stores."""
        return validate_external_location(uri, self)

    def __iter__(self):
        """Each enabled driver once."""
        seen = []
        for store in self._by_key.values():
            if not any(store is s for s in seen):
                seen.append(store)
        return iter(seen)


def _load_driver_class(name):
    # DriverManager re-raises import errors (unlike glance_store, which logged them
    # and disabled the store); both cases stop the service with the option's name.
    try:
        manager = stevedore_driver.DriverManager(NAMESPACE, name, invoke_on_load=False)
    except stevedore_exception.NoMatches as e:
        raise exception.BadStoreConfiguration(
            store_name=name,
            reason='unknown store %r in option [glance_store] stores' % name) from e
    except Exception as e:  # ImportError or anything the plugin module raised
        raise exception.BadStoreConfiguration(
            store_name=name,
            reason='store %r named in option [glance_store] stores failed to load: %s: %s'
                   % (name, type(e).__name__, e)) from e
    cls = manager.driver
    if not (isinstance(cls, type) and issubclass(cls, Store)):
        raise exception.BadStoreConfiguration(
            store_name=name,
            reason='entry point %r is not a glance_lite Store class' % name)
    return cls


def load_stores(conf):
    """Build every driver listed in ``[glance_store] stores``.

    :param conf: ``ConfigOpts`` with ``glance_lite.conf.store`` options registered.
    :returns: :class:`Stores`.
    :raises BadStoreConfiguration: a name no driver has, a driver that fails to load,
        or a driver refusing its options.  No store is ever silently disabled.
    :raises RuntimeError: ``default_store`` is not enabled ("Store for scheme X not
        found").
    """
    names = [n.strip().lower() for n in conf.glance_store.stores if n.strip()]
    if not names:
        raise exception.BadStoreConfiguration(
            store_name='(none)', reason='option [glance_store] stores enables no store')
    instances = {}  # driver class -> instance: "file" and "filesystem" share one
    by_key = {}
    for name in names:
        cls = _load_driver_class(name)
        if cls not in instances:
            instances[cls] = cls(conf)
            LOG.debug('Loaded store %s for schemes %s', name, ', '.join(cls.schemes))
        store = instances[cls]
        by_key[name] = store
        for scheme in store.schemes:
            by_key.setdefault(scheme, store)
    default = (conf.glance_store.default_store or '').strip().lower()
    return Stores(by_key, default)
