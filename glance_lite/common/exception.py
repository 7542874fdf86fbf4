"""The exceptions glance_lite raises, each carrying the HTTP status it becomes.

Every layer raises these; only the WSGI layer turns them into responses
(``common.wsgi``), and the registry client turns registry responses back into
them (``http_status`` is the single table for both directions).
"""


class GlanceException(Exception):
    """Base class: ``message`` is a %-template filled from keyword arguments."""

    message = 'An unknown exception occurred'
    http_status = 500

    def __init__(self, message=None, **kwargs):
        if message is None:
            try:
                message = self.message % kwargs
            except (KeyError, TypeError):
                message = self.message
        self.msg = str(message)
        super().__init__(self.msg)


class Invalid(GlanceException):
    message = 'Data supplied was not valid.'
    http_status = 400


class InvalidParameterValue(Invalid):
    message = 'Invalid value %(value)s for parameter %(param)s.'


class InvalidSortKey(Invalid):
    message = 'Sort key supplied was not valid.'


class InvalidFilterRangeValue(Invalid):
    message = 'Unable to filter using the specified range.'


class ClientDisconnected(Invalid):
    message = 'Client disconnected before sending all data to backend'


class BadStoreUri(Invalid):
    message = 'The store URI was malformed: %(uri)s'


class UnknownScheme(Invalid):
    message = 'Unknown scheme \'%(scheme)s\' found in URI'


class NotAuthenticated(GlanceException):
    message = 'You are not authenticated.'
    http_status = 401


class Forbidden(GlanceException):
    message = 'You are not authorized to complete this action.'
    http_status = 403


class ProtectedImageDelete(Forbidden):
    message = 'Image %(image_id)s is protected and cannot be deleted.'


class NotFound(GlanceException):
    message = 'An object with the specified identifier was not found.'
    http_status = 404


class ImageNotFound(NotFound):
    message = 'Image with identifier %(image_id)s not found'


class MemberNotFound(NotFound):
    message = 'Membership could not be found.'


class Conflict(GlanceException):
    message = 'Image operation conflicts'
    http_status = 409


class Duplicate(Conflict):
    message = 'An object with the same identifier already exists.'


class InUseByStore(Conflict):
    message = 'The image cannot be deleted because it is in use through the backend store.'


class Gone(GlanceException):
    message = 'The resource is no longer available.'
    http_status = 410


class StoreAddDisabled(Gone):
    message = 'Configuration for store failed. Adding images to this store is disabled.'


class PreconditionFailed(GlanceException):
    message = 'Precondition failed.'
    http_status = 412


class LimitExceeded(GlanceException):
    message = 'The request returned a 413 Request Entity Too Large.'
    http_status = 413


class ImageSizeLimitExceeded(LimitExceeded):
    message = 'Denying attempt to upload image larger than %(cap)d bytes.'


class StorageFull(LimitExceeded):
    message = 'Image storage media is full: %(reason)s'


class StorageQuotaFull(LimitExceeded):
    message = ('The size of the data %(image_size)s will exceed the limit. '
               '%(remaining)s bytes remaining.')


class ImagePropertyLimitExceeded(LimitExceeded):
    message = ('The limit has been exceeded on the number of allowed image properties. '
               'Attempted: %(attempted)s, Maximum: %(maximum)s')


class ImageMemberLimitExceeded(LimitExceeded):
    message = ('The limit has been exceeded on the number of allowed image members for '
               'this image. Attempted: %(attempted)s, Maximum: %(maximum)s')


class UnsupportedMediaType(GlanceException):
    """415; ``headers`` (e.g. ``Accept-Patch``) go into the response."""

    message = 'The request has an unsupported media type.'
    http_status = 415

    def __init__(self, message=None, headers=None, **kwargs):
        super().__init__(message, **kwargs)
        self.headers = headers or {}


class RangeNotSatisfiable(GlanceException):
    message = 'The requested range is not satisfiable.'
    http_status = 416


class ImageTagLimitExceeded(LimitExceeded):
    message = ('The limit has been exceeded on the number of allowed image tags. '
               'Attempted: %(attempted)s, Maximum: %(maximum)s')


class ImageLocationLimitExceeded(LimitExceeded):
    message = ('The limit has been exceeded on the number of allowed image locations. '
               'Attempted: %(attempted)s, Maximum: %(maximum)s')


class RequestHeaderFieldsTooLarge(GlanceException):
    message = 'Request header fields too large.'
    http_status = 431


class ServiceUnavailable(GlanceException):
    message = 'The request returned 503 Service Unavailable.'
    http_status = 503


class RegistryUnavailable(ServiceUnavailable):
    message = 'The image registry is unavailable: %(reason)s'


class StorageWriteDenied(ServiceUnavailable):
    message = 'Permission to write image storage media denied.'


class RemoteServiceUnavailable(ServiceUnavailable):
    message = 'Remote server where the image is present is unavailable.'


class BadStoreConfiguration(GlanceException):
    """Raised at start-up: the server refuses to run rather than misbehave."""

    message = 'Store %(store_name)s could not be configured correctly. Reason: %(reason)s'


class UnexpectedStatus(GlanceException):
    message = 'The request returned an unexpected status: %(status)s.'
    http_status = 500


class LocationDecryptionFailed(GlanceException):
    """A stored location URL cannot be read with this service's
    ``metadata_encryption_key`` (wrong key, or the key is set on one side only)."""

    message = 'A location of image %(image_id)s cannot be read: %(reason)s'


_BY_STATUS = {
    400: Invalid,
    401: NotAuthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    413: LimitExceeded,
    415: UnsupportedMediaType,
    416: RangeNotSatisfiable,
    431: RequestHeaderFieldsTooLarge,
    503: ServiceUnavailable,
}


def from_status(status, message):
    """The exception for an HTTP status returned by another glance_lite service."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return UnexpectedStatus(message or None, status=status)
    return cls(message or None)


# --- store drivers (glance_lite.store) ---

class StoreRandomGetNotSupported(Invalid):
    message = ('Getting images randomly from this store is not supported. '
               'Offset: %(offset)s, length: %(length)s')


class StoreDeleteNotSupported(Invalid):
    message = 'Deleting images from this store is not supported.'


class MaxRedirectsExceeded(BadStoreUri):
    message = 'Maximum redirects (%(redirects)s) was exceeded.'


class ForbiddenLocation(BadStoreUri):
    """A location the host filter refuses (SSRF protection); ``uri`` is redacted."""

    message = 'Access to %(uri)s is not allowed: %(reason)s'


class InvalidLocation(BadStoreUri):
    message = 'Invalid location %(uri)s'


class ExternalSourceNotSupported(BadStoreUri):
    message = 'External sources are not supported: \'%(uri)s\''
