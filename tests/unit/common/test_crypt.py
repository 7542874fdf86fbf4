"""Location URL encryption: Glance's format, and clear errors for mismatched keys."""
import base64

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from glance_lite.common import crypt, exception

KEY = 'k' * 32
OTHER_KEY = 'o' * 32
URL = 'file:///var/lib/glance/images/3f1c0e8a-5b2d-4c53-9a63-5f7b0a9d1c11'


@pytest.mark.parametrize('key', ['a' * 16, 'b' * 24, 'c' * 32])
@pytest.mark.parametrize('blocksize', [16, 64])
def test_round_trip_for_every_key_length(key, blocksize):
    sealed = crypt.urlsafe_encrypt(key, URL, blocksize)
    assert URL not in sealed
    assert crypt.urlsafe_decrypt(key, sealed) == URL


def test_format_is_iv_then_cbc_of_text_nul_and_nonzero_padding():
    sealed = crypt.urlsafe_encrypt(KEY, URL, 64)
    raw = base64.urlsafe_b64decode(sealed)
    iv, body = raw[:16], raw[16:]
    assert len(body) % 64 == 0
    decryptor = Cipher(algorithms.AES(KEY.encode()), modes.CBC(iv)).decryptor()
    padded = decryptor.update(body) + decryptor.finalize()
    assert padded.startswith(URL.encode() + b'\0')
    assert b'\0' not in padded[len(URL) + 1:]


def test_a_text_filling_whole_blocks_gets_a_full_block_of_padding():
    text = 'x' * 32
    raw = base64.urlsafe_b64decode(crypt.urlsafe_encrypt(KEY, text, 16))
    assert len(raw) == 16 + 48


def test_same_url_encrypts_differently_each_time():
    assert crypt.urlsafe_encrypt(KEY, URL) != crypt.urlsafe_encrypt(KEY, URL)


def test_non_ascii_urls_survive():
    url = 'file:///srv/images/é'
    assert crypt.urlsafe_decrypt(KEY, crypt.urlsafe_encrypt(KEY, url)) == url


@pytest.mark.parametrize('key', ['', 'short', 'x' * 17, 'y' * 33])
def test_key_of_a_length_aes_cannot_use_is_refused(key):
    with pytest.raises(ValueError, match='must be 16, 24 or 32 bytes long'):
        crypt.urlsafe_encrypt(key, URL)


def test_decrypting_with_another_key_fails_instead_of_giving_garbage():
    for _ in range(50):
        sealed = crypt.urlsafe_encrypt(KEY, URL, 64)
        with pytest.raises(exception.LocationDecryptionFailed,
                           match='not encrypted with this metadata_encryption_key'):
            crypt.LocationCipher(OTHER_KEY).decrypt(sealed, 'img')


@pytest.mark.parametrize('text', ['', 'not base64 !', 'abcd', 'A' * 44])
def test_text_that_is_no_ciphertext_is_refused(text):
    with pytest.raises(crypt.DecryptionError):
        crypt.urlsafe_decrypt(KEY, text)


class TestLocationCipher:
    def test_without_a_key_urls_pass_through(self):
        cipher = crypt.LocationCipher(None)
        assert cipher.encrypt(URL) == URL
        assert cipher.decrypt(URL, 'img') == URL

    def test_without_a_key_an_encrypted_value_is_refused(self):
        sealed = crypt.LocationCipher(KEY).encrypt(URL)
        with pytest.raises(exception.LocationDecryptionFailed) as info:
            crypt.LocationCipher(None).decrypt(sealed, 'img-1')
        assert info.value.msg == ('A location of image img-1 cannot be read: it is '
                                  'encrypted and metadata_encryption_key is not set')

    def test_with_a_key_a_clear_url_is_refused(self):
        with pytest.raises(exception.LocationDecryptionFailed,
                           match='stored unencrypted, but metadata_encryption_key is set'):
            crypt.LocationCipher(KEY).decrypt(URL, 'img')

    def test_round_trip_pads_to_64_bytes(self):
        cipher = crypt.LocationCipher(KEY)
        sealed = cipher.encrypt(URL)
        assert len(base64.urlsafe_b64decode(sealed)) == 16 + 128
        assert cipher.decrypt(sealed, 'img') == URL

    def test_bad_key_length_is_refused_when_built(self):
        with pytest.raises(ValueError, match='metadata_encryption_key must be'):
            crypt.LocationCipher('0123456789')

    def test_none_stays_none(self):
        cipher = crypt.LocationCipher(KEY)
        assert cipher.encrypt(None) is None and cipher.decrypt(None, 'img') is None
