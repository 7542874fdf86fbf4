"""The contract every store driver fulfils.

A driver is a :class:`Store` subclass registered under the ``glance_lite.store.drivers``
entry point namespace (one entry point name per scheme it serves).  It is built once
per process with the service's ``ConfigOpts`` and reads its options in ``__init__``;
a configuration it cannot work with raises ``BadStoreConfiguration`` there, so the
service refuses to start instead of failing on the first request.

The public methods (:meth:`Store.get`, :meth:`Store.add`, ...) check what the driver
declared in :attr:`Store.capabilities` and the arguments, then call the driver's
``_get``/``_add``/... hooks; drivers implement only the hooks.
"""
import abc
import enum

from glance_lite.common import exception
from glance_lite.store import location


class Capability(enum.Flag):
    """What a driver can do; operations it lacks are refused before it runs."""

    NONE = 0
    READ = enum.auto()
    #: serving part of the data (offset/length) without reading what is skipped
    READ_RANDOM = enum.auto()
    WRITE = enum.auto()


class Store(abc.ABC):
    """A place image data lives in, addressed by location URIs.

    Subclasses set :attr:`name`, :attr:`schemes` and :attr:`capabilities`, implement
    ``_get`` and ``_get_size``, and, when they declare ``WRITE``, ``_add`` and
    ``_delete`` (checked when the class is defined).
    """

    #: short name used in messages and logs (``file``, ``http``)
    name = None
    #: lower-case URI schemes this driver serves, the first being the one it writes
    schemes = ()
    capabilities = Capability.NONE

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if Capability.WRITE in cls.capabilities:
            for hook in ('_add', '_delete'):
                if getattr(cls, hook) is getattr(Store, hook):
                    raise TypeError('%s declares WRITE but does not implement %s'
                                    % (cls.__name__, hook))

    def __init__(self, conf):
        """Read this driver's options from ``conf`` (an ``oslo_config.cfg.ConfigOpts``
        with ``glance_lite.conf.store`` registered).

        :raises BadStoreConfiguration: the options cannot work (bad value, directory
            that cannot be created or written, ...).
        """
        self.conf = conf

    def __repr__(self):
        return '<%s %s>' % (type(self).__name__, '/'.join(self.schemes))

    # -- public contract -------------------------------------------------------------

    def get(self, uri, offset=0, length=None):
        """Open the data at ``uri`` for reading.

        :param offset: first byte to return.
        :param length: at most this many bytes (None: up to the end).
        :returns: ``(chunks, size)``: an iterator of non-empty ``bytes`` chunks of
            bounded size with a ``close()`` method (call it when stopping early), and
            the number of bytes it will yield (0 when a remote store cannot tell).
            A range past the end of the data yields nothing.
        :raises NotFound: no data at ``uri``.
        :raises RemoteServiceUnavailable: the remote holding the data cannot be reached.
        :raises StoreRandomGetNotSupported: offset or length given to a driver without
            ``READ_RANDOM``.
        :raises BadStoreUri: ``uri`` is not one this driver can serve.
        """
        if offset is None:
            offset = 0
        if offset < 0 or (length is not None and length < 0):
            raise exception.Invalid('Offset and length must not be negative.')
        if (offset or length is not None) and Capability.READ_RANDOM not in self.capabilities:
            raise exception.StoreRandomGetNotSupported(offset=offset, length=length)
        self._check_scheme(uri)
        return self._get(uri, offset, length)

    def get_size(self, uri):
        """Size in bytes of the data at ``uri`` (0 when a remote store cannot tell).

        :raises NotFound: no data at ``uri``.
        :raises BadStoreUri: malformed ``uri`` or, for remote stores, remote unreachable
            or answering with an error.
        """
        self._check_scheme(uri)
        return self._get_size(uri)

    def add(self, image_id, reader, size=0):
        """Store the data of image ``image_id`` read from ``reader``.

        ``reader.read(n)`` returns at most ``n`` bytes, ``b''`` at the end, and may
        raise at any point (size cap, size or checksum mismatch, client gone).  On ANY
        exception the driver removes every byte it wrote and re-raises; exceptions
        from ``reader`` propagate unchanged.  The data becomes visible under its final
        location only after ``reader`` returned ``b''``: nothing half-written is ever
        served.

        :param size: expected size, 0 when unknown (a hint used to choose where to
            write; checking it is the caller's job).
        :returns: ``(uri, bytes_written, metadata)``; ``metadata`` is a JSON-able dict
            to record with the location.
        :raises Duplicate: the image already has data in this store.
        :raises StorageFull: no room (ENOSPC/EFBIG, or ``size`` fits nowhere).
        :raises StorageWriteDenied: the OS refused the write (EACCES).
        :raises StoreAddDisabled: the driver is read-only.
        """
        if Capability.WRITE not in self.capabilities:
            raise exception.StoreAddDisabled()
        return self._add(image_id, reader, size or 0)

    def delete(self, uri):
        """Remove the data at ``uri``.

        :raises NotFound: no data at ``uri``.
        :raises Forbidden: the store refuses to remove it.
        :raises InUseByStore: the data is still in use inside the backend.
        :raises StoreDeleteNotSupported: the driver is read-only.
        """
        if Capability.WRITE not in self.capabilities:
            raise exception.StoreDeleteNotSupported()
        self._check_scheme(uri)
        self._delete(uri)

    def local_path(self, uri):
        """A filesystem path holding the data at ``uri`` when it is a local file (so
        the server can hand it to ``wsgi.file_wrapper``/sendfile), else None.  The file
        may have disappeared since; opening it is the caller's check."""
        return None

    def validate_location(self, uri):
        """Raise ``BadStoreUri`` (or a subclass) unless this driver could serve ``uri``.

        Used on user-supplied locations before they are recorded; performs no I/O
        beyond what a driver documents (the http store resolves the host name to
        apply its host filter).
        """
        self._check_scheme(uri)

    # -- driver hooks ----------------------------------------------------------------

    @abc.abstractmethod
    def _get(self, uri, offset, length):
        """:meth:`get` after the checks; ``offset`` >= 0, ``length`` None or >= 0."""

    @abc.abstractmethod
    def _get_size(self, uri):
        """:meth:`get_size` after the checks."""

    def _add(self, image_id, reader, size):
        """:meth:`add` for drivers declaring ``WRITE``."""
        raise NotImplementedError

    def _delete(self, uri):
        """:meth:`delete` for drivers declaring ``WRITE``."""
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------

    def _check_scheme(self, uri):
        scheme = location.scheme_of(uri)
        if scheme not in self.schemes:
            raise exception.BadStoreUri(
                'The %s store cannot serve URI %s' % (self.name, location.redact_uri(uri)))
