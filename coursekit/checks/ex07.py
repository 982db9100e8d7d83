"""Exercise 07: a redaction policy that lets no secret through and keeps what an SRE needs.

The learner's ``redaction_policy()`` returns one of three things, graded alike:

- the settings of the Collector's ``redaction`` processor (a dict, or YAML text), run by
  the course's receiver-side processor (``services/backend/processors.py``), which also
  looks at span names, status messages and event attributes;
- a ``SpanProcessor`` class, built as ``cls(inner)``: the SDK calls its ``on_end`` with each
  span, and it must hand ``inner.on_end`` a redacted copy (``coursekit.pii.redacted_copy``);
- a function ``redact(span) -> span`` over a span as plain data: ``{"name", "status",
  "attributes", "events": [{"name", "attributes"}], "resource"}``.

The check makes a corpus of spans the notebook never showed (seeded: the same each run)
with secrets of every kind and format the text lists, planted under keys that say so,
under innocent keys, inside longer text, in event attributes, span names and status
messages. None may survive, and the attributes an SRE needs must come out unchanged.
"""

from __future__ import annotations

import base64
import codecs
import json
import random
import re
import string
from dataclasses import dataclass

from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from .harness import NotYet, call_learner_code, plain, require_function
from .report import run_check

SERVICES = ("frontend", "payment")
#: What an SRE needs, on every span: these must come out unchanged.
SRE_KEYS = ("http.route", "http.request.method", "http.response.status_code", "error.type",
            "server.address", "app.order.id")  # fmt: skip
SRE_EVENT_KEYS = ("exception.type",)
INNOCENT_KEYS = ("app.note", "app.request.body", "app.debug", "message", "app.context")
HIDDEN_SEED = 20261201
#: The check grades on three corpora: a policy that holds by luck of some values (a
#: password whose characters stop a pattern early) is caught on another.
HIDDEN_SEEDS = (HIDDEN_SEED, 20261202, 20261203)
SAMPLE_SEED = 7


# --- secrets of every kind and format ------------------------------------------------------
def _luhn_complete(prefix: str, length: int, draw: random.Random) -> str:
    digits = prefix + "".join(draw.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(digits + "0")):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def _word(draw: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits):
    return "".join(draw.choice(alphabet) for _ in range(n))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class Secret:
    kind: str  # "a card number"
    form: str  # "in groups of four with spaces"
    text: str  # as it appears in the span
    secret: str  # what must not survive (the token without "Bearer ", the password...)
    key: str  # a key that says what it is, for the telling-key place

    @property
    def what(self) -> str:
        return f"{self.kind} ({self.form})"


def _card(draw, form):
    if form == "Amex, 4-6-5 with spaces":
        n = _luhn_complete(draw.choice(("34", "37")), 15, draw)
        return f"{n[:4]} {n[4:10]} {n[10:]}", n
    n = _luhn_complete(draw.choice(("4", "51", "52", "55")), 16, draw)
    sep = {"16 digits": "", "groups of four with spaces": " ", "groups of four with dashes": "-"}
    return sep[form].join(n[i : i + 4] for i in range(0, 16, 4)), n


def secrets(draw: random.Random) -> list[Secret]:
    """One secret of every kind and format the exercise lists, with fresh values."""
    out = []
    for form in ("16 digits", "groups of four with spaces", "groups of four with dashes",
                 "Amex, 4-6-5 with spaces"):  # fmt: skip
        text, digits = _card(draw, form)
        out.append(Secret("a card number", form, text, text, "app.card_number"))
    user = draw.choice(("ada", "grace", "linus", "app"))

    def pw() -> str:
        return _word(draw, 14, string.ascii_letters + string.digits + "!#%^*_-")

    own, query, body, url = pw(), pw(), pw(), pw()
    out += [
        Secret("a password", "as the value of its own key", own, own, "user.password"),
        Secret("a password", "in a query string", f"/login?user={user}&password={query}", query,
               "url.query"),
        Secret("a password", "in a JSON body", json.dumps({"user": user, "password": body}),
               body, "app.request.body"),
        Secret("a password", "in a URL", f"postgresql://{user}:{url}@db.internal:5432/shop",
               url, "db.connection_string"),
    ]  # fmt: skip
    token = _word(draw, 40, string.ascii_letters + string.digits + "-._~")
    basic = base64.b64encode(f"{user}:{_word(draw, 12)}".encode()).decode()
    claims = {"sub": _word(draw, 8), "email": f"{user}@example.org"}
    jwt = ".".join((_b64url(b'{"alg":"HS256","typ":"JWT"}'), _b64url(json.dumps(claims).encode()),
                    _b64url(draw.randbytes(32))))  # fmt: skip
    out += [
        Secret("an Authorization header", "Bearer", f"Bearer {token}", token,
               "http.request.header.authorization"),
        Secret("an Authorization header", "Basic", f"Basic {basic}", basic[8:],
               "http.request.header.authorization"),
        # Header and claims begin alike in every token: look for its random signature.
        Secret("a JSON Web Token", "bare", jwt, jwt.rsplit(".", 1)[1], "app.session_token"),
    ]  # fmt: skip
    # An API key's prefix is the same in every key: look for its random part.
    aws, stripe, github = (_word(draw, 16, string.ascii_uppercase + string.digits),
                           _word(draw, 24), _word(draw, 36))  # fmt: skip
    out += [
        Secret("an API key", "AWS access key id", "AKIA" + aws, aws, "cloud.access_key"),
        Secret("an API key", "Stripe secret key", "sk_live_" + stripe, stripe, "stripe.api_key"),
        Secret("an API key", "GitHub token", "ghp_" + github, github, "vcs.token"),
    ]
    first, last = draw.choice(("ada", "alan", "edsger")), draw.choice(("lovelace", "turing"))
    out += [
        Secret("an e-mail address", "plain", f"{first}.{last}{draw.randrange(10, 999)}@example.com",
               "", "user.email"),
        Secret("an e-mail address", "with a tag and a subdomain",
               f"{first}+{_word(draw, 4).lower()}@mail.{last}.co.uk", "", "enduser.email"),
    ]  # fmt: skip
    return [s if s.secret else Secret(s.kind, s.form, s.text, s.text, s.key) for s in out]


PLACES = ("under its usual key", "under an innocent key", "inside a log line",
          "in an event attribute", "in a span name", "in a status message")  # fmt: skip


def _span(n: int, service: str, draw: random.Random) -> dict:
    method, route = draw.choice((("POST", "/checkout"), ("GET", "/orders/<order_id>"),
                                 ("POST", "/charge"), ("PUT", "/cart/<item>")))  # fmt: skip
    status_code = draw.choice((200, 200, 201, 502, 504))
    attributes = {
        "http.route": route, "http.request.method": method,
        "http.response.status_code": status_code, "server.address": f"{service}.shop.internal",
        "app.order.id": f"ord-{draw.randrange(10**4):04d}",
        "error.type": str(status_code) if status_code >= 500 else "none",
    }  # fmt: skip
    return {
        "name": f"{method} {route}",
        "status": "",
        "attributes": attributes,
        "events": [{"name": "exception", "attributes": {"exception.type": "ProviderTimeout",
                                                         "exception.message": "timed out"}}],
        "resource": {"service.name": service},
    }  # fmt: skip


def corpus(seed: int = HIDDEN_SEED):
    """(spans as plain data, [(secret, place, span index)]): every secret in every place."""
    draw = random.Random(seed)
    spans, planted = [], []
    for place in PLACES:
        for secret in secrets(draw):
            if secret.form == "as the value of its own key" and place != PLACES[0]:
                continue  # a bare password is found only by its key
            span = _span(len(spans), draw.choice(SERVICES), draw)
            if place == "under its usual key":
                span["attributes"][secret.key] = (
                    [secret.text] if secret.key.startswith("http.request.header.") else secret.text
                )
            elif place == "under an innocent key":
                span["attributes"][draw.choice(INNOCENT_KEYS)] = secret.text
            elif place == "inside a log line":
                span["attributes"]["app.note"] = f"retrying charge; saw {secret.text} in the reply"
            elif place == "in an event attribute":
                span["events"][0]["attributes"]["exception.message"] = (
                    f"provider refused {secret.text}"
                )
            elif place == "in a span name":
                if secret.kind not in ("an e-mail address", "a card number"):
                    continue  # names carry ids, not tokens, in practice
                span["name"] = f"lookup {secret.text}"
            else:
                span["status"] = f"declined: {secret.text}"
            planted.append((secret, place, len(spans)))
            spans.append(span)
    # Names like the planted ones with no secret in them: they must come out as they went
    # in, so a policy that masks every "lookup ..." name, not the secret in it, is caught.
    sku = f"sku {_word(draw, 3, string.ascii_uppercase)}-{draw.randrange(1000)}"
    for what in (f"ord-{draw.randrange(10**4):04d}", f"cart {draw.randrange(100)}", sku):
        span = _span(len(spans), draw.choice(SERVICES), draw)
        span["name"] = f"lookup {what}"
        spans.append(span)
    return spans, planted


def sample() -> list[dict]:
    """A few spans with planted secrets, to look at (other values than the check's)."""
    spans, _ = corpus(SAMPLE_SEED)
    return spans


# --- running a policy, in each of its three shapes ----------------------------------------
def _collector(settings) -> callable:
    import yaml

    from services.backend.processors import ConfigError, Redaction
    from services.backend.receiver import attributes

    if isinstance(settings, str):
        try:
            settings = yaml.safe_load(settings)
        except yaml.YAMLError as error:
            raise NotYet(f"the policy is not YAML: {str(error).splitlines()[0]}") from None
    settings = plain(settings)
    if not isinstance(settings, dict):
        raise NotYet(
            f"the policy's YAML is a {type(settings).__name__}: write the redaction "
            "processor's settings, a mapping such as {allow_all_keys: true, ...}."
        )
    if isinstance(settings.get("processors"), dict):  # a whole Collector configuration
        settings = settings["processors"].get("redaction") or {}
    if set(settings) == {"redaction"}:
        settings = settings["redaction"]
    try:
        json.dumps(settings)
        redaction = Redaction(settings)
    except ConfigError as error:
        raise NotYet(str(error)) from None
    except (TypeError, ValueError, AttributeError) as error:
        raise NotYet(f"the redaction processor cannot read these settings: {error}") from None

    def run(spans: list[dict]) -> list[dict]:
        out = []
        for number, spec in enumerate(spans, 1):
            new, _ = redaction(received_span(spec, number))
            span = new.otlp_span
            out.append({"name": span.name, "status": span.status.message,
                        "attributes": attributes(span.attributes),
                        "events": [{"name": e.name, "attributes": attributes(e.attributes)}
                                   for e in span.events],
                        "resource": dict(new.resource)})  # fmt: skip
        return out

    return run


def _processor(cls) -> callable:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode

    def run(spans: list[dict]) -> list[dict]:
        exporter = InMemorySpanExporter()
        providers = {}
        for service in SERVICES:
            inner = SimpleSpanProcessor(exporter)
            processor = call_learner_code(cls, inner, name=f"{cls.__name__}(inner)")
            provider = TracerProvider(resource=Resource.create({"service.name": service}))
            provider.add_span_processor(processor)
            providers[service] = provider
        for spec in spans:
            tracer = providers[spec["resource"]["service.name"]].get_tracer("exercise")
            span = tracer.start_span(spec["name"], attributes=spec["attributes"])
            for event in spec["events"]:
                span.add_event(event["name"], event["attributes"])
            if spec["status"]:
                span.set_status(Status(StatusCode.ERROR, spec["status"]))
            call_learner_code(span.end, name=f"{cls.__name__}.on_end")
        for provider in providers.values():
            provider.shutdown()
        return [{"name": s.name, "status": s.status.description or "",
                 "attributes": dict(s.attributes or {}),
                 "events": [{"name": e.name, "attributes": dict(e.attributes or {})}
                            for e in s.events],
                 "resource": dict(s.resource.attributes)}
                for s in exporter.get_finished_spans()]  # fmt: skip

    return run


def _function(redact) -> callable:
    def run(spans: list[dict]) -> list[dict]:
        out = []
        for spec in spans:
            given = json.loads(json.dumps(spec))  # a copy: the learner may change it in place
            got = plain(
                call_learner_code(redact, given, name=getattr(redact, "__name__", "redact"))
            )
            if got is None:
                continue  # a dropped span: judged below
            if not isinstance(got, dict) or not {"name", "attributes", "events"} <= set(got):
                raise NotYet(
                    f"your function returned {type(got).__name__} {str(got)[:60]!r}: return "
                    "the span, a dict with the same keys (name, status, attributes, events, "
                    "resource)."
                )
            out.append(got)
        return out

    return run


def runner(policy) -> callable:
    from opentelemetry.sdk.trace import SpanProcessor

    if policy is None:
        raise NotYet(
            "redaction_policy returned None: return the redaction processor's settings "
            "(a dict or YAML), a SpanProcessor class, or a function redact(span)."
        )
    if isinstance(policy, type) and issubclass(policy, SpanProcessor):
        return _processor(policy)
    if isinstance(policy, dict | str):
        return _collector(policy)
    if callable(policy) and not isinstance(policy, type):
        return _function(policy)
    raise NotYet(f"redaction_policy returned {policy!r}: return settings (a dict or YAML), "
                 "a SpanProcessor subclass, or a function redact(span).")  # fmt: skip


# --- judging -------------------------------------------------------------------------------
def _text(span: dict) -> str:
    return json.dumps(span, default=str, ensure_ascii=False)


def _encodings(text: str) -> tuple[str, ...]:
    """Disguises of a secret that give it away: reversed, base64, hex, ROT13. Not
    redaction."""
    raw = text.encode()
    return (text[::-1], base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("="), raw.hex(),
            codecs.encode(text, "rot13"))  # fmt: skip


def _half_shown(text: str, squeezed: str) -> bool:
    """Every other character kept (a mask over half of it), or all of them with something
    between: the letters and digits of the secret or of either half, in a row, in the
    output with everything else squeezed out."""
    for half in (text, text[0::2], text[1::2]):
        letters = re.sub(r"[^A-Za-z0-9]", "", half)
        if len(letters) >= 6 and letters in squeezed:
            return True
    return False


def _shape(text: str) -> tuple[int, ...]:
    """Where each character first appears: text with the same shape is the same text with
    each character swapped for another, one for one (a substitution cipher)."""
    first: dict = {}
    return tuple(first.setdefault(c, i) for i, c in enumerate(text))


def _substituted(secret: str, text: str) -> bool:
    """The secret, each character swapped one for one (case swapped, digits made letters),
    somewhere in ``text``. Only for secrets with four repeated characters or more: a shape
    so particular that a mask or a hash does not have it by chance."""
    n, shape = len(secret), _shape(secret)
    pairs = [(shape[j], j) for j in range(n) if shape[j] != j]
    if n < 12 or len(pairs) < 4:
        return False
    i0, j0 = pairs[0]
    for start in range(len(text) - n + 1):
        if text[start + i0] != text[start + j0]:
            continue
        if _shape(text[start : start + n]) == shape:
            return True
    return False


def _survivors(stored: list[dict], planted) -> list:
    """(secret, place, how) for each planted secret still in what was stored; ``how`` is
    "" (as it was, in any case), "encoded" or "substituted"."""
    whole = "\n".join(_text(s) for s in stored)
    lower = whole.lower()
    numbers = re.sub(r"[^\d\n]", "", whole)  # a card's digits, whatever separates them
    squeezed = re.sub(r"[^A-Za-z0-9\n]", "", whole)
    found = []
    for secret, place, index in planted:
        if secret.kind == "a card number":
            leaked = re.sub(r"\D", "", secret.secret) in numbers
        elif secret.kind == "an e-mail address":
            leaked = secret.secret.lower() in lower
        else:  # any 8 characters of a password or token in a row, in any case, are a leak
            text = secret.secret.lower()
            leaked = any(text[i : i + 8] in lower for i in range(len(text) - 7))
        how = ""
        if not leaked and (
            any(e in whole for e in _encodings(secret.secret))
            or (
                secret.kind not in ("a card number", "an e-mail address")
                and _half_shown(secret.secret, squeezed)
            )
        ):
            how = "encoded"
        elif not leaked and index < len(stored) and _substituted(secret.secret,
                                                                 _text(stored[index])):  # fmt: skip
            how = "substituted"
        if leaked or how:
            found.append((secret, place, how))
    return found


def _sre_problem(given: list[dict], stored: list[dict], planted=()) -> str | None:
    if len(stored) != len(given):
        return (f"{len(given) - len(stored)} of {len(given)} spans went missing: redact the "
                "secrets, keep every span (a dropped span is a hole in every trace).")  # fmt: skip
    secret_names = {index for _, place, index in planted if place == "in a span name"}
    for index, (before, after) in enumerate(zip(given, stored, strict=True)):
        for key in SRE_KEYS:
            if key not in before["attributes"]:
                continue
            want, got = before["attributes"][key], (after.get("attributes") or {}).get(key)
            if key not in (after.get("attributes") or {}):
                return (f"{key} was removed: an SRE needs it (the route, method, status "
                        f"code, error.type, server.address and order id stay).")  # fmt: skip
            if got != want:
                return f"{key} came out as {got!r} instead of {want!r}: leave it as it is."
        if (after.get("resource") or {}).get("service.name") != before["resource"]["service.name"]:
            return "service.name was changed or removed: keep the resource's service.name."
        names = [e.get("name") for e in after.get("events") or []]
        if names != [e["name"] for e in before["events"]]:
            return "an event went missing or was renamed: keep events, redact their attributes."
        for event in after.get("events") or []:
            if (event.get("attributes") or {}).get("exception.type") != "ProviderTimeout":
                return "exception.type was removed from an exception event: an SRE needs it."
        if index not in secret_names and after.get("name") != before["name"]:
            return (f"the span name {before['name']!r} became {after.get('name')!r}: "
                    "a name with no secret in it stays as it is.")  # fmt: skip
    return None


def _place_hint(secret: Secret, place: str, disguised: str = "") -> str:
    if disguised == "substituted":
        return (f"{secret.what} {place} survived, each character swapped for another (case "
                "swapped, digits made letters): anyone can swap them back, so it is not "
                "redaction. Mask or hash all of it.")  # fmt: skip
    if disguised:
        return (f"{secret.what} {place} survived, reversed, encoded (base64, hex, ROT13), "
                "spread out or half masked: that gives it away, so it is not redaction. "
                "Mask or hash all of it.")  # fmt: skip
    extra = {
        "under an innocent key": " Keys lie: match the value itself, whatever the key "
        "(blocked_values, or a regular expression over every value).",
        "in an event attribute": " Events have attributes too (an exception's message): "
        "redact them as you redact the span's.",
        "in a span name": " Span names are text too: mask secrets in them.",
        "in a status message": " The status message is text too: mask secrets in it.",
        "inside a log line": " Match the secret inside longer text, not only a whole value.",
        "under its usual key": " Mask the whole value of a key that holds secrets "
        "(url.query, db.connection_string, ...), or match the secret in any value.",
    }[place]
    return f"{secret.what} {place} survived.{extra}"


def received_span(spec: dict, number: int, scope: str = "exercise"):
    """One corpus span (a dict from ``corpus``) as the receiver holds it (a ``ReceivedSpan``:
    OTLP, with its events and resource); ids and times from ``number``, so stored spans
    stay apart."""
    from services.backend.receiver import ReceivedSpan
    from services.backend.store import to_any_value

    proto = SpanProto(name=spec["name"], trace_id=number.to_bytes(16, "big"),
                      span_id=number.to_bytes(8, "big"), start_time_unix_nano=number,
                      end_time_unix_nano=number + 1)  # fmt: skip
    proto.status.message = spec["status"]
    for key, value in spec["attributes"].items():
        proto.attributes.add(key=key).value.CopyFrom(to_any_value(value))
    for event in spec["events"]:
        added = proto.events.add(name=event["name"])
        for key, value in event["attributes"].items():
            added.attributes.add(key=key).value.CopyFrom(to_any_value(value))
    return ReceivedSpan(dict(spec["resource"]), scope, proto)


def grade(policy, seeds=HIDDEN_SEEDS) -> str:
    run = runner(policy)
    planted_in_all = 0
    for seed in seeds:
        given, planted = corpus(seed)
        stored = run(json.loads(json.dumps(given)))
        problem = _sre_problem(given, stored, planted)
        left = _survivors(stored, planted)
        if left and seed != SAMPLE_SEED:
            sample_given, sample_planted = corpus(SAMPLE_SEED)
            if not _survivors(run(sample_given), sample_planted):
                raise NotYet(
                    f"your policy cleans the sample, yet on other spans {left[0][0].what} "
                    f"{left[0][1]} survived: match the format of a secret, not the values "
                    "you saw."
                )
        if problem:
            raise NotYet(problem)
        if left:
            raise NotYet(_place_hint(*left[0]) + (f" ({len(left)} secrets survived in all.)"
                                                  if len(left) > 1 else ""))  # fmt: skip
        planted_in_all += len(planted)
    # The seeds above are in this file for anyone to read: one corpus more, from a seed
    # drawn now, tells a policy that matches formats from one that lists the values.
    given, planted = corpus(random.SystemRandom().randrange(2**32))
    stored = run(json.loads(json.dumps(given)))
    left = _survivors(stored, planted) if not _sre_problem(given, stored, planted) else [None]
    if left:
        what = f"{left[0][0].what} {left[0][1]} survived" if left[0] else "it broke a span"
        raise NotYet(
            f"your policy cleans the check's own spans, yet on fresh ones {what}: match the "
            "format of each secret, not values read from the check's seeds."
        )
    kinds = len({s.what for s, _, _ in planted})
    return (f"none of {planted_in_all} secrets ({kinds} kinds and formats, in {len(PLACES)} "
            f"kinds of place) survived, and every span kept what an SRE needs.")  # fmt: skip


def _check(redaction_policy) -> str:
    require_function(redaction_policy, "redaction_policy", "")
    return grade(call_learner_code(redaction_policy, name="redaction_policy"))


def check_redaction_policy(redaction_policy) -> None:
    """Grade ``redaction_policy() -> Collector settings | SpanProcessor class | function``."""
    run_check(_check, redaction_policy)


def preview(redaction_policy) -> None:
    """What the policy leaves of the sample: the secrets that survive, by kind and place."""
    try:
        run = runner(call_learner_code(redaction_policy, name="redaction_policy"))
        given, planted = corpus(SAMPLE_SEED)
        left = _survivors(run(given), planted)
    except NotYet as problem:
        print(f"no preview yet: {problem}")
        return
    print(f"on the sample: {len(planted) - len(left)} of {len(planted)} secrets removed")
    for secret, place, _ in left[:6]:
        print(f"  still there: {secret.what} {place}")
