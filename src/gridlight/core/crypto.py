"""Personal data at rest (PIPL): field encryption, blind indexes, masking and phone numbers.

ID card and phone numbers are stored encrypted (AES-256-GCM), next to a blind index (a keyed
HMAC of the normalised value) that supports exact look-ups without decrypting every row::

    Resident.objects.filter(id_number_index=blind_index(normalised, purpose="id_number"))

Both keys are derived from settings.FIELD_ENCRYPTION_KEY with HKDF, so one secret configures the
installation while a leaked index key still reveals nothing about the encryption key (and the
reverse). Tokens carry a version prefix ("v1:") so the scheme or key can be rotated later.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

VERSION = "v1"
_PREFIX = VERSION + ":"
NONCE_BYTES = 12
_TAG_BYTES = 16
INDEX_HEX_CHARS = 32
ENCRYPT_INFO = b"gridlight:encrypt:v1"
INDEX_INFO = b"gridlight:blind-index:v1"


class DecryptionError(ValueError):
    """A token that cannot be decrypted: altered, encrypted under another key, or not a token of
    a known version. Deliberately says no more than that."""


class InvalidPhone(ValueError):
    """A phone number that is neither a mainland mobile nor a landline with area code;
    ``message`` says so in the active language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Keys(NamedTuple):
    cipher: AESGCM
    index_key: bytes


@functools.lru_cache(maxsize=4)
def _keys_for(secret: str) -> _Keys:
    # Keyed on the secret itself, so a test that overrides FIELD_ENCRYPTION_KEY gets its own keys,
    # and one AESGCM object (with its expanded key schedule) serves every call.
    material = secret.encode("utf-8")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)

    return _Keys(AESGCM(derive(ENCRYPT_INFO)), derive(INDEX_INFO))


def _keys() -> _Keys:
    secret = settings.FIELD_ENCRYPTION_KEY
    if not isinstance(secret, str) or not secret:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be a non-empty string")
    return _keys_for(secret)


def encrypt(plaintext: str) -> str:
    """Return an authenticated encryption of ``plaintext``: "v1:" and the URL-safe base64 (no
    padding) of a random 12-byte nonce followed by the AES-256-GCM ciphertext and tag. Encrypting
    the same text twice gives different tokens; use blind_index for look-ups."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _keys().cipher.encrypt(nonce, plaintext.encode("utf-8"), None)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def encrypt_many(plaintexts: Sequence[str]) -> list[str]:
    """:func:`encrypt` for each of ``plaintexts``, for imports of hundreds of thousands: the
    keys are looked up and the nonces drawn once for all (each token is still sealed under its
    own random nonce)."""
    seal = _keys().cipher.encrypt
    nonces = os.urandom(NONCE_BYTES * len(plaintexts))
    encode = base64.urlsafe_b64encode
    tokens = []
    for k, text in enumerate(plaintexts):
        nonce = nonces[k * NONCE_BYTES : (k + 1) * NONCE_BYTES]
        sealed = encode(nonce + seal(nonce, text.encode("utf-8"), None))
        tokens.append(_PREFIX + sealed.rstrip(b"=").decode("ascii"))
    return tokens


def decrypt(token: str) -> str:
    """Return the plaintext that encrypt() sealed into ``token``. Raises DecryptionError if the
    token was altered, was made with another key, or is not a "v1:" token."""
    if not token.startswith(_PREFIX):
        raise DecryptionError("not a v1 token")
    body = token[len(_PREFIX) :]
    # b64decode would also take "+", "/" and padding; encrypt() never writes them.
    if "+" in body or "/" in body or "=" in body:
        raise DecryptionError("malformed token")
    try:
        # validate=True: a character outside the alphabet is tampering, not something to skip.
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("malformed token") from None
    if len(raw) < NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError("token too short")
    try:
        plain = _keys().cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
        return plain.decode("utf-8")
    except (InvalidTag, UnicodeDecodeError):
        raise DecryptionError("token altered or encrypted under another key") from None


def blind_index(value: str, *, purpose: str) -> str:
    """Return a deterministic keyed digest of ``value`` (32 hex characters) for exact look-ups.

    ``purpose`` names what the value is ("id_number", "phone"), so the same value gives unrelated
    digests under different purposes. Normalise ``value`` first (normalise_id, parse_phone):
    the index matches exact strings only. Raises ValueError for an empty purpose or one containing
    NUL, which separates it from the value.
    """
    if not purpose or "\0" in purpose:
        raise ValueError("purpose must be non-empty and free of NUL characters")
    message = f"{purpose}\0{value}".encode()
    return hmac.digest(_keys().index_key, message, hashlib.sha256).hex()[:INDEX_HEX_CHARS]


def blind_indexes(values: Sequence[str], *, purpose: str) -> list[str]:
    """:func:`blind_index` of each of ``values``, the key looked up once for all."""
    if not purpose or "\0" in purpose:
        raise ValueError("purpose must be non-empty and free of NUL characters")
    key, prefix = _keys().index_key, f"{purpose}\0"
    digest, sha256 = hmac.digest, hashlib.sha256
    return [digest(key, (prefix + v).encode(), sha256).hex()[:INDEX_HEX_CHARS] for v in values]


def mask_id(number: str) -> str:
    """Return ``number`` with all but its first four characters (province and city) starred:
    "3701**************". A string of eight characters or fewer is starred entirely.

    Nothing else of the number is kept, because the page beside it shows the holder's age and
    sex: an ID number is region (6) + birth date (8) + sequence (3, its last digit odd for men) +
    check character, so the old mask (first four and last four) with the birth date beside it
    left two unknown digits and about nine candidates. Now the birth date has about 365
    candidates (from the age) and the sequence 500 (from the sex); the check character follows
    from the rest: about 180,000 numbers fit what is shown (docs/traffic-light.md)."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 4)


def mask_phone(phone: str) -> str:
    """Return ``phone`` masked for display: a mobile keeps its first three and last four digits
    ("138****5678"), a landline its area code and last two ("0531-******78"). Anything that is
    not a valid number keeps only its last two characters."""
    try:
        canonical = parse_phone(phone)
    except InvalidPhone:
        text = phone.strip()
        return "*" * len(text) if len(text) <= 4 else "*" * (len(text) - 2) + text[-2:]
    if "-" in canonical:
        area, local = canonical.split("-")
        return f"{area}-{'*' * (len(local) - 2)}{local[-2:]}"
    return f"{canonical[:3]}****{canonical[-4:]}"


# Two-character surnames kept whole by mask_name (the common ones of the Hundred Family Surnames).
# fmt: off
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "令狐", "轩辕", "端木", "西门", "南宫", "独孤", "呼延", "百里", "东郭",
    "澹台", "公冶", "太史", "申屠", "钟离", "闻人", "万俟", "濮阳", "淳于", "赫连",
    "拓跋", "司空", "公羊", "羊舌", "微生", "梁丘", "左丘", "东门", "段干", "乐正", "谷梁",
    "亓官", "司寇", "巫马", "公西", "漆雕", "壤驷", "颛孙", "仲孙", "鲜于", "闾丘", "宗政",
    "公良", "第五",
})
# fmt: on


def mask_name(name: str) -> str:
    """Return ``name`` with everything after the surname starred: "张*", "张**", "欧阳**".
    The surname is the first character, or the first two for a known compound surname when at
    least one character follows it; a one-character name becomes "*"."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    kept = 2 if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:kept] + "*" * (len(name) - kept)


_MOBILE_SECOND = frozenset("3456789")
# Separators people type inside phone numbers; parentheses as in "(0531) 12345678".
_PHONE_JUNK = str.maketrans("", "", " \t\u3000-()")


def parse_phone(raw: str) -> str:
    """Return a mainland phone number in canonical form, or raise InvalidPhone.

    A mobile (1, then 3-9, then nine digits; a +86 or 86 prefix is dropped) comes back as eleven
    digits, "13812345678". A landline (0, a two- or three-digit area code, seven or eight digits)
    comes back as "0531-12345678": 010 and 020-029 have two-digit codes, all others three.
    Spaces, hyphens and parentheses are ignored; full-width digits are accepted.
    """
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    text = text.translate(_PHONE_JUNK)
    if not text:
        raise InvalidPhone(str(_("The phone number is empty.")))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if text.isascii() and text.isdigit():
        if len(text) == 11 and text[0] == "1" and text[1] in _MOBILE_SECOND:
            return text
        if text[0] == "0" and len(text) >= 3:
            # Beijing (010) and 020-029 are the only two-digit area codes after the 0.
            area_len = 3 if text[1] in "12" else 4
            area, local = text[:area_len], text[area_len:]
            if 7 <= len(local) <= 8:
                return f"{area}-{local}"
    raise InvalidPhone(
        str(
            _(
                "Enter a mainland mobile number (11 digits starting with 13 to 19) or a landline "
                "number with its area code, such as 0531-12345678."
            )
        )
    )
