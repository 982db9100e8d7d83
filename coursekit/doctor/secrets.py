"""What counts as a secret: by the attribute's key, and by the value itself.

Detection names the *kind* of secret and never returns the value: findings quote keys,
never values, and ``mask`` hides secrets in any text a finding quotes (a span name).
"""

from __future__ import annotations

import re
from functools import lru_cache

# --- by value ---------------------------------------------------------------------------

_CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_VALUE_PATTERNS = (
    # JSON Web Token: base64url header and payload, both JSON objects ("eyJ" is "{\"").
    ("a JSON Web Token", re.compile(r"\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*")),
    ("a bearer token", re.compile(r"(?i)\bbearer\s+[\w\-.~+/]{8,}=*")),
    ("HTTP basic credentials", re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/]{8,}={0,2}(?![\w])")),
    (
        "an API key",
        re.compile(
            r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"  # Stripe secret and restricted keys
            r"|\bAKIA[0-9A-Z]{16}\b"  # AWS access key id
            r"|\bgh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
            r"|\bgithub_pat_\w{20,}"
            r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack
            r"|\bAIza[0-9A-Za-z_-]{35}"  # Google API key
            r"|\bglpat-[\w-]{20,}"  # GitLab
        ),
    ),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("a password in a URL", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@")),
    (
        "a secret in a key=value pair",
        re.compile(
            r"(?i)(?:\b|_)(?:password|passwd|secret|api_?key|access_token|refresh_token"
            r"|client_secret|token)[\"']?\s*[=:]\s*[\"']?([^&\s;,'\"]+)"
        ),
    ),
    (
        "an e-mail address",
        re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    ),
)
#: Values that say "there was something here, and it has been hidden".
_REDACTED = re.compile(
    r"(?i)^(?:\**|x{3,}|#+|\[?redacted\]?|<redacted>|\{redacted\}|redacted:.*|masked|hidden"
    r"|removed|filtered|\[filtered\]|null|none|-|\?|%s|:\w+|\$\d+|\{\w*\}|\*+\d{0,4}|\.+)$"
)
#: Quick reject: a value without any of these cannot match a value pattern above.
_MAYBE = re.compile(
    r"\d[ -]?\d{3}|@|eyJ|(?i:bearer|basic)\s|_(?:live|test)_|AKIA|gh[pousr]_"
    r"|github_pat_|xox|AIza|glpat-|PRIVATE KEY|[=:]"
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_brand(digits: str) -> bool:
    """Whether the number has a card network's prefix and length (Luhn alone passes one
    random number in ten, so order ids and timestamps would pass too)."""
    n = len(digits)
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    return (
        (digits[0] == "4" and n in (13, 16, 19))  # Visa
        or ((51 <= two <= 55 or 222100 <= six <= 272099) and n == 16)  # Mastercard
        or (two in (34, 37) and n == 15)  # American Express
        or ((four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649) and n in (16, 19))
        or (3528 <= four <= 3589 and n in (16, 19))  # JCB
        or ((two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305) and n in (14, 16))  # Diners
        or (two == 62 and 16 <= n <= 19)  # UnionPay
    )


def _has_card(text: str) -> bool:
    for match in _CARD_CANDIDATE.finditer(text):
        digits = match.group().replace(" ", "").replace("-", "")
        if 13 <= len(digits) <= 19 and _card_brand(digits) and _luhn(digits):
            return True
    return False


@lru_cache(maxsize=200_000)
def value_kinds(text: str) -> tuple[str, ...]:
    """The kinds of secret found in one string ("a card number", ...), empty if none."""
    if len(text) < 6 or not _MAYBE.search(text):
        return ()
    kinds = []
    if _has_card(text):
        kinds.append("a card number (Luhn-valid)")
    rest = text
    for kind, pattern in _VALUE_PATTERNS:
        found = False
        for match in pattern.finditer(rest):
            secret = match.group(match.lastindex or 0)
            if not _REDACTED.match(secret) and not (
                kind == "a secret in a key=value pair" and (len(secret) < 4 or secret.isdigit())
            ):
                found = True
        if found:
            kinds.append(kind)
        if kind == "a password in a URL":  # user:password@host is not also an e-mail address
            rest = pattern.sub(" ", rest)
    if "a bearer token" in kinds and "a JSON Web Token" in kinds:  # one secret, not two
        kinds.remove("a JSON Web Token")
        kinds[kinds.index("a bearer token")] = "a bearer token (a JWT)"
    return tuple(kinds)


# --- by key -----------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


#: A last word that makes the attribute *about* a secret, not the secret itself.
_ABOUT = {
    "type", "count", "length", "len", "size", "expires", "expiry", "ttl", "present", "valid",
    "validated", "verified", "hash", "hashed", "algorithm", "alg", "name", "names", "kind",
    "source", "status", "strength", "policy", "reset", "changed", "required", "provided",
    "missing", "enabled", "used", "domain", "tokens", "id", "arn", "version", "ref", "path",
    "file", "url", "uri", "endpoint", "issuer", "scope", "scopes", "audience",
}  # fmt: skip


@lru_cache(maxsize=20_000)
def key_kind(key: str) -> str | None:
    """The kind of secret an attribute with this key holds, if the key says so."""
    words = [w for w in _SPLIT.split(_CAMEL.sub("_", key).lower()) if w]
    if not words or words[-1] in _ABOUT:
        return None
    names = set(words) | {a + b for a, b in zip(words, words[1:], strict=False)}
    if names & {"password", "passwd", "pwd", "passphrase"}:
        return "a password"
    if names & {"authorization", "proxyauthorization"}:
        return "credentials (an Authorization header)"
    if names & {"cookie", "setcookie"}:
        return "a session cookie"
    if names & {"apikey", "accesskey", "privatekey", "secretkey"}:
        return "an API key"
    if names & {"secret", "clientsecret"}:
        return "a secret"
    if names & {"token", "accesstoken", "refreshtoken", "idtoken", "authtoken", "bearer"}:
        return "a token"
    if names & {"cardnumber", "creditcard", "ccnumber", "cvv", "cvc", "pan"}:
        return "a card number"
    if names & {"email", "emailaddress"}:
        return "an e-mail address"
    return None


def is_redacted(value) -> bool:
    return isinstance(value, str) and bool(_REDACTED.match(value.strip()))


# --- what a finding may quote -----------------------------------------------------------


def strings(value):
    """The strings inside an attribute value (a string, or an array of them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, int) and not isinstance(value, bool) and value > 10**12:
        yield str(value)  # a card number stored as a number


def mask(text: str) -> str:
    """``text`` with anything that looks like a secret replaced by ``[redacted]``."""
    if not value_kinds(text):
        return text
    masked = _CARD_CANDIDATE.sub("[redacted]", text)
    for _kind, pattern in _VALUE_PATTERNS:
        masked = pattern.sub("[redacted]", masked)
    return masked
