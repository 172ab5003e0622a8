"""Personal data at rest: field encryption, blind indexes, masks and phone numbers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import string

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from gridlight.core.crypto import (
    DecryptionError,
    InvalidPhone,
    blind_index,
    decrypt,
    encrypt,
    mask_id,
    mask_name,
    mask_phone,
    parse_phone,
)

URLSAFE = set(string.ascii_letters + string.digits + "-_")
SAMPLES = ["37010319900101123X", "13812345678", "", "张三 历下区经十路 1 号", "x" * 1000]


def _body(token: str) -> bytes:
    body = token.removeprefix("v1:")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


@pytest.fixture
def key(settings: Settings) -> str:
    settings.FIELD_ENCRYPTION_KEY = "test-field-key-not-for-production"
    return str(settings.FIELD_ENCRYPTION_KEY)


# --- encryption --------------------------------------------------------------------------------


@pytest.mark.usefixtures("key")
@pytest.mark.parametrize("plaintext", SAMPLES)
def test_round_trip(plaintext: str) -> None:
    assert decrypt(encrypt(plaintext)) == plaintext


@pytest.mark.usefixtures("key")
def test_token_is_v1_and_unpadded_urlsafe_base64_of_nonce_ciphertext_and_tag() -> None:
    plaintext = "13812345678"
    token = encrypt(plaintext)
    assert token.startswith("v1:")
    assert set(token[3:]) <= URLSAFE
    assert len(_body(token)) == 12 + len(plaintext.encode()) + 16


def test_format_is_pinned_to_hkdf_keys_so_stored_data_stays_readable(key: str) -> None:
    # Written with the primitives directly: changing the derivation would orphan stored tokens.
    cipher = AESGCM(_derive(key, b"gridlight:encrypt:v1"))
    raw = _body(encrypt("历下区"))
    assert cipher.decrypt(raw[:12], raw[12:], None).decode() == "历下区"
    nonce = bytes(range(12))
    token = "v1:" + base64.urlsafe_b64encode(nonce + cipher.encrypt(nonce, b"abc", None)).decode()
    assert decrypt(token.rstrip("=")) == "abc"


@pytest.mark.usefixtures("key")
def test_same_plaintext_gives_different_tokens_with_fresh_nonces() -> None:
    tokens = [encrypt("37010319900101123X") for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    assert len({_body(t)[:12] for t in tokens}) == len(tokens)


@pytest.mark.usefixtures("key")
@pytest.mark.parametrize("position", [3, 4, 10, 20, 30, -2])
def test_any_altered_character_is_detected(position: int) -> None:
    token = encrypt("13812345678")
    replacement = "A" if token[position] != "A" else "B"
    tampered = token[:position] + replacement + token[position + 1 :]
    assert len(tampered) == len(token)
    with pytest.raises(DecryptionError):
        decrypt(tampered)


@pytest.mark.usefixtures("key")
def test_every_flipped_bit_is_detected() -> None:
    token = encrypt("13812345678")
    raw = _body(token)
    for index in range(len(raw)):
        for bit in (1, 64):
            altered = bytearray(raw)
            altered[index] ^= bit
            forged = "v1:" + base64.urlsafe_b64encode(bytes(altered)).decode().rstrip("=")
            with pytest.raises(DecryptionError):
                decrypt(forged)


@pytest.mark.usefixtures("key")
@pytest.mark.parametrize(
    "token",
    [
        "",
        "v1:",
        "v1:AAAA",
        "v2:" + "A" * 52,
        "V1:" + "A" * 52,
        "v1:" + "!" * 52,
        "v1:" + "A" * 51 + "=",
        "v1:" + "+" * 52,
        "13812345678",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(DecryptionError):
        decrypt(token)


@pytest.mark.usefixtures("key")
def test_truncated_or_extended_tokens_are_refused() -> None:
    token = encrypt("13812345678")
    for forged in (token[:-4], token + "AAAA", token[:3] + token[7:]):
        with pytest.raises(DecryptionError):
            decrypt(forged)


def test_wrong_key_is_refused_and_the_right_key_still_works(settings: Settings, key: str) -> None:
    token = encrypt("37010319900101123X")
    settings.FIELD_ENCRYPTION_KEY = "another-installation's-key"
    with pytest.raises(DecryptionError):
        decrypt(token)
    settings.FIELD_ENCRYPTION_KEY = key
    assert decrypt(token) == "37010319900101123X"


def test_decryption_error_is_a_value_error() -> None:
    assert issubclass(DecryptionError, ValueError)


@pytest.mark.parametrize("secret", ["", None, b"bytes-are-not-a-str"])
def test_missing_key_is_a_configuration_error(settings: Settings, secret: object) -> None:
    settings.FIELD_ENCRYPTION_KEY = secret
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        encrypt("x")


def test_settings_key_is_set_for_the_installation() -> None:
    assert isinstance(django_settings.FIELD_ENCRYPTION_KEY, str)
    assert decrypt(encrypt("ok")) == "ok"


# --- blind index -------------------------------------------------------------------------------


@pytest.mark.usefixtures("key")
def test_blind_index_is_deterministic_32_hex_characters() -> None:
    digest = blind_index("37010319900101123X", purpose="id_number")
    assert digest == blind_index("37010319900101123X", purpose="id_number")
    assert len(digest) == 32
    assert set(digest) <= set("0123456789abcdef")


@pytest.mark.usefixtures("key")
def test_purposes_are_separated() -> None:
    value = "13812345678"
    assert blind_index(value, purpose="id_number") != blind_index(value, purpose="phone")
    # The NUL separator keeps purpose and value from sliding into each other.
    assert blind_index("b", purpose="a") != blind_index("", purpose="ab")


@pytest.mark.usefixtures("key")
def test_different_values_give_different_digests() -> None:
    digests = {blind_index(f"1381234{n:04d}", purpose="phone") for n in range(2000)}
    assert len(digests) == 2000


@pytest.mark.usefixtures("key")
def test_blind_index_matches_exact_strings_only() -> None:
    # Callers normalise first; the index itself does not.
    assert blind_index("37010319900101123x", purpose="id_number") != blind_index(
        "37010319900101123X", purpose="id_number"
    )


def test_blind_index_is_pinned_to_its_own_hkdf_key(key: str) -> None:
    index_key = _derive(key, b"gridlight:blind-index:v1")
    expected = hmac.new(index_key, b"phone\x0013812345678", hashlib.sha256).hexdigest()[:32]
    assert blind_index("13812345678", purpose="phone") == expected
    # The index key is not the encryption key.
    assert index_key != _derive(key, b"gridlight:encrypt:v1")


def test_blind_index_depends_on_the_key(settings: Settings, key: str) -> None:
    first = blind_index("13812345678", purpose="phone")
    settings.FIELD_ENCRYPTION_KEY = key + "-other"
    assert blind_index("13812345678", purpose="phone") != first


@pytest.mark.usefixtures("key")
@pytest.mark.parametrize("purpose", ["", "id\0number"])
def test_blind_index_refuses_an_ambiguous_purpose(purpose: str) -> None:
    with pytest.raises(ValueError, match="purpose"):
        blind_index("x", purpose=purpose)


# --- masks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("370103199001011234", "3701**************"),
        ("37010319900101123X", "3701**************"),
        ("370103900101123", "3701***********"),
        ("123456789", "1234*****"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_id(number: str, masked: str) -> None:
    assert mask_id(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("0531-12345678", "0531-******78"),
        ("053187654321", "0531-******21"),
        ("010-1234567", "010-*****67"),
        ("12345", "***45"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳修", "欧阳*"),
        ("欧阳", "欧*"),
        ("司马相如", "司马**"),
        ("王", "*"),
        (" 李四 ", "李*"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


# --- phone numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("86 138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("１３８　１２３４－５６７８", "13812345678"),
        ("0531-12345678", "0531-12345678"),
        ("053112345678", "0531-12345678"),
        ("0531 8765432", "0531-8765432"),
        ("(0531) 12345678", "0531-12345678"),
        ("（０５３１）１２３４５６７８", "0531-12345678"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("021 1234 5678", "021-12345678"),
        ("0635-1234567", "0635-1234567"),
    ],
)
def test_parse_phone_accepts(raw: str, canonical: str) -> None:
    assert parse_phone(raw) == canonical


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    "raw",
    [
        "12812345678",  # no mobile range starts 12
        "10012345678",
        "1381234567",  # ten digits
        "138123456789",  # twelve
        "+1 415 555 0100",
        "0531-123456",  # six-digit local number
        "0531-123456789",  # nine
        "010-123456789",
        "05",
        "0",
        "abc",
        "138 1234 567a",
        "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits are digits, but not ASCII ones
        "+86",
        "0531-12345678-801",  # extensions are not stored
    ],
)
def test_parse_phone_refuses(raw: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        parse_phone(raw)
    assert caught.value.message == (
        "Enter a mainland mobile number (11 digits starting with 13 to 19) or a landline number "
        "with its area code, such as 0531-12345678."
    )
    assert str(caught.value) == caught.value.message
    assert isinstance(caught.value, ValueError)


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("raw", ["", "   ", " - ", "()"])
def test_parse_phone_refuses_empty(raw: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        parse_phone(raw)
    assert caught.value.message == "The phone number is empty."


def test_encrypting_many_at_once_gives_tokens_that_decrypt_each_under_its_own_nonce() -> None:
    from gridlight.core.crypto import encrypt_many

    texts = ["13812345678", "110101199003071234", "13812345678", ""]
    tokens = encrypt_many(texts)
    assert [decrypt(t) for t in tokens] == texts
    assert tokens[0] != tokens[2]  # the same text, another nonce
    assert len({t[3:19] for t in tokens}) == len(tokens)
    assert encrypt_many([]) == []


def test_blind_indexes_of_many_are_those_of_each() -> None:
    from gridlight.core.crypto import blind_indexes

    values = ["13812345678", "0531-12345678", ""]
    assert blind_indexes(values, purpose="phone") == [
        blind_index(v, purpose="phone") for v in values
    ]
    with pytest.raises(ValueError, match="purpose"):
        blind_indexes(values, purpose="")
