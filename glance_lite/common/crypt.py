"""Location URLs encrypted at rest with ``metadata_encryption_key`` (registry.md §5).

Glance's format, so databases move between the two: AES-CBC under the key's UTF-8
bytes, a random 16-byte IV, the plaintext followed by ``\\0`` and random non-zero bytes
up to a multiple of the block size, all as urlsafe base64 of ``IV || ciphertext``.

AES-CBC alone cannot tell a wrong key from the right one, so :func:`urlsafe_decrypt`
checks what a real URL must look like (padding shape, UTF-8, a scheme) and refuses the
rest: a mismatched key gives an error, never a garbage URL.
"""
import base64
import binascii
import logging
import os
import re

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from glance_lite.common import exception

LOG = logging.getLogger(__name__)
KEY_LENGTHS = (16, 24, 32)
IV_LENGTH = 16
AES_BLOCK = 16
# glance-api's registry client pads to 64 bytes, as Glance's v1 client did: URLs of
# similar length give ciphertexts of equal length.
LOCATION_BLOCKSIZE = 64
_MAX_BLOCKSIZE = 256

_URL = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:')
_BASE64URL = re.compile(r'[A-Za-z0-9_-]+=*')


class DecryptionError(ValueError):
    """The text is not something this key encrypted."""


def key_bytes(key):
    """The AES key of a ``metadata_encryption_key`` value.

    :raises ValueError: not 16, 24 or 32 bytes long (the service refuses to start).
    """
    raw = key.encode('utf-8')
    if len(raw) not in KEY_LENGTHS:
        raise ValueError('metadata_encryption_key must be 16, 24 or 32 bytes long '
                         '(it is %d)' % len(raw))
    return raw


def _pad(data, blocksize):
    # "\0" ends the plaintext, so the filler must not contain it.
    fill = blocksize - len(data) % blocksize
    filler = bytes(b % 255 + 1 for b in os.urandom(fill - 1))
    return data + b'\0' + filler


def urlsafe_encrypt(key, plaintext, blocksize=AES_BLOCK):
    """``plaintext`` (str) encrypted with ``key`` (str) as urlsafe base64 text."""
    if blocksize % AES_BLOCK or not 0 < blocksize <= _MAX_BLOCKSIZE:
        raise ValueError('blocksize must be a multiple of 16 up to %d' % _MAX_BLOCKSIZE)
    iv = os.urandom(IV_LENGTH)
    encryptor = Cipher(algorithms.AES(key_bytes(key)), modes.CBC(iv)).encryptor()
    padded = _pad(plaintext.encode('utf-8'), blocksize)
    sealed = encryptor.update(padded) + encryptor.finalize()
    return base64.urlsafe_b64encode(iv + sealed).decode('ascii')


def urlsafe_decrypt(key, ciphertext):
    """The plaintext of :func:`urlsafe_encrypt` output.

    :raises DecryptionError: ``ciphertext`` was not made with ``key`` (or is no
        ciphertext at all).
    """
    try:
        raw = base64.urlsafe_b64decode(ciphertext.encode('ascii'))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise DecryptionError('not an encrypted value') from None
    if len(raw) < IV_LENGTH + AES_BLOCK or len(raw) % AES_BLOCK:
        raise DecryptionError('not an encrypted value')
    decryptor = Cipher(algorithms.AES(key_bytes(key)),
                       modes.CBC(raw[:IV_LENGTH])).decryptor()
    padded = decryptor.update(raw[IV_LENGTH:]) + decryptor.finalize()
    end = padded.rfind(b'\0')
    if end < 0 or len(padded) - end > _MAX_BLOCKSIZE:
        raise DecryptionError('wrong key')
    try:
        return padded[:end].decode('utf-8')
    except UnicodeDecodeError:
        raise DecryptionError('wrong key') from None


def looks_encrypted(value):
    """True for text shaped like :func:`urlsafe_encrypt` output rather than a URL."""
    return (_URL.match(value) is None and _BASE64URL.fullmatch(value) is not None
            and len(value) >= 44)


class LocationCipher:
    """Encrypts location URLs before they are stored and decrypts them when read.

    Without a key URLs pass through unchanged, but a stored value that looks
    encrypted is refused: the service reading it lacks the writer's key.

    :param key: ``metadata_encryption_key`` or None.
    :param blocksize: padding block of new ciphertexts.
    :raises ValueError: the key has a length AES cannot use.
    """

    def __init__(self, key, blocksize=LOCATION_BLOCKSIZE):
        self.key = key or None
        if self.key:
            key_bytes(self.key)
        self.blocksize = blocksize

    def encrypt(self, url):
        if self.key is None or url is None:
            return url
        return urlsafe_encrypt(self.key, url, self.blocksize)

    def decrypt(self, stored, image_id):
        """The URL of a stored location value of image ``image_id``.

        :raises LocationDecryptionFailed: the value cannot be read with this key.
        """
        if stored is None:
            return None
        if self.key is None:
            if looks_encrypted(stored):
                raise _failed(image_id, 'it is encrypted and metadata_encryption_key is '
                                        'not set')
            return stored
        try:
            url = urlsafe_decrypt(self.key, stored)
        except DecryptionError as e:
            if _URL.match(stored):
                raise _failed(image_id, 'it is stored unencrypted, but '
                                        'metadata_encryption_key is set') from None
            raise _failed(image_id, 'it was not encrypted with this '
                                    'metadata_encryption_key (%s)' % e) from None
        if _URL.match(url) is None:
            raise _failed(image_id, 'it was not encrypted with this '
                                    'metadata_encryption_key')
        return url


def _failed(image_id, reason):
    # A configuration mismatch between services: the operator needs it in the log.
    error = exception.LocationDecryptionFailed(image_id=image_id, reason=reason)
    LOG.error('%s', error)
    return error
