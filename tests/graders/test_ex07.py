"""Exercise 07 (a redaction policy): its catalogue of answers, in the three shapes the
exercise allows (Collector settings, an SDK SpanProcessor, a function)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coursekit.checks import ex07
from tests.graders.catalogue import assert_catalogue, grade, learner

ROOT = Path(__file__).resolve().parents[2]
PRELUDE = f"""
from pathlib import Path
import yaml
TEAM = yaml.safe_load(Path({str(ROOT / "docker/otel-collector-redaction.yaml")!r}).read_text())
TEAM_POLICY = TEAM["processors"]["redaction"]
"""
EXTRA = r"""[
    r'(?i)"(passw(or)?d|passwd|pwd|secret|token|api[._-]?key)"\s*:\s*"[^"]*"',
    r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",
]"""


#: What a learner could copy from the sample the notebook shows, escaped, longest first.
SAMPLE_SECRETS = sorted({re.escape(s.text) for s, _, _ in ex07.corpus(ex07.SAMPLE_SEED)[1]},
                        key=len, reverse=True)  # fmt: skip


def answer(source: str):
    return learner(source, "redaction_policy", prelude=PRELUDE)


SOLUTION = f"""
def redaction_policy():
    return {{**TEAM_POLICY, "blocked_values": {EXTRA} + TEAM_POLICY["blocked_values"]}}
"""
FUNCTION = r"""
import re

SECRET_KEY = re.compile(r"(?i)passw|pwd|secret|token|api.?key|authorization|cookie|credential")
PATTERNS = [re.compile(p) for p in (
    r"(?<=:)[^:/@\s]+(?=@)",
    r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)",
    r"(?i)\b(?:bearer|basic)\s+[\w\-.~+/=]+",
    r"\beyJ[\w-]+\.[\w-]+\.[\w-]*",
    r"\b(?:AKIA[0-9A-Z]{16}|sk_live_\w+|gh[pousr]_\w+)",
    r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}",
    r"(?i)(?<=password=)[^&\s]+",
    r'(?i)(?<="password": ")[^"]+',
)]
KEEP = {"http.route", "http.request.method", "http.response.status_code", "error.type",
        "server.address", "app.order.id", "exception.type"}

def scrub(text):
    for pattern in PATTERNS:
        text = pattern.sub("[REDACTED]", text)
    return text

def clean(key, value):
    if key in KEEP:
        return value
    if SECRET_KEY.search(key):
        return "[REDACTED]"
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub(v) if isinstance(v, str) else v for v in value]
    return value

def redact(span):
    span["name"] = scrub(span["name"])
    span["status"] = scrub(span["status"])
    span["attributes"] = {k: clean(k, v) for k, v in span["attributes"].items()}
    for event in span["events"]:
        event["attributes"] = {k: clean(k, v) for k, v in event["attributes"].items()}
    return span

def redaction_policy():
    return redact
"""
PROCESSOR = r"""
import re
from opentelemetry.sdk.trace import SpanProcessor
from coursekit.pii import redacted_copy

SECRET_KEY = re.compile(r"(?i)(passw|pwd|secret|token|api.?key|authorization|cookie)")
SECRET_VALUE = re.compile("|".join((
    r"\b(?:\d[ -]?){12,18}\d\b", r"(?i:bearer|basic) \S+", r"eyJ\S+",
    r"AKIA[A-Z0-9]{16}|sk_live_\w+|ghp_\w+", r"\S+@\S+\.\w+",
    r"(?i:password)(?:=|\": \")[^&\"\s]+", r"://[^@/\s]+@",
)))

class Redactor(SpanProcessor):
    def __init__(self, inner):
        self.inner = inner
    def value(self, key, value):
        if SECRET_KEY.search(key):
            return "***"
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, tuple):
            return tuple(self.text(v) if isinstance(v, str) else v for v in value)
        return value
    def text(self, text):
        return SECRET_VALUE.sub("***", text)
    def on_start(self, span, parent_context=None):
        self.inner.on_start(span, parent_context)
    def on_end(self, span):
        self.inner.on_end(redacted_copy(span, self.value, self.text))
    def shutdown(self):
        self.inner.shutdown()

def redaction_policy():
    return Redactor
"""

CIPHER_SCRUB = r"""
def cipher(text):
    return text.swapcase().translate(str.maketrans("0123456789", "qwertyuiop"))

def scrub(text):
    held = []
    def hold(match):
        held.append(match.group(0))
        return "\x00" * len(held)
    for pattern in PATTERNS:
        text = pattern.sub(hold, text)
    for n in range(len(held), 0, -1):
        text = text.replace("\x00" * n, cipher(held[n - 1]), 1)
    return text
"""
#: The function answer with each secret swapped letter for letter, not masked.
CIPHERED = (FUNCTION[: FUNCTION.index("def scrub(text):")] + CIPHER_SCRUB + "\n"
            + FUNCTION[FUNCTION.index("def clean(key, value):"):]).replace(
    'return "[REDACTED]"',
    "return cipher(value) if isinstance(value, str) else [cipher(v) for v in value]")  # fmt: skip

RIGHT = {
    "the solution: the team's settings and three patterns more": SOLUTION,
    "typed placeholders, a new span built, one pass per value": r"""
import re

KINDS = [("url-password", r"(?<=:)[^:/@\s]+(?=@)"), ("card", r"(?<!\d)(?:\d[ -]?){14,18}\d(?!\d)"),
         ("auth", r"(?i)\b(?:bearer|basic)\s+\S+"), ("jwt", r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"),
         ("api-key", r"\b(?:AKIA[0-9A-Z]{16}|sk_live_\w+|ghp_\w+)"),
         ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
         ("password", r"(?i)(?<=password=)[^&\s]+|(?<=\"password\": \")[^\"]+")]
SECRET_KEYS = ("password",)

def text(value):
    for kind, pattern in KINDS:
        value = re.sub(pattern, f"<{kind}>", value)
    return value

def value(key, v):
    if any(word in key for word in SECRET_KEYS):
        return "<password>"
    if isinstance(v, str):
        return text(v)
    if isinstance(v, list):
        return [text(x) if isinstance(x, str) else x for x in v]
    return v

def redaction_policy():
    return lambda span: {
        "name": text(span["name"]), "status": text(span["status"]),
        "resource": span["resource"],
        "attributes": {k: value(k, v) for k, v in span["attributes"].items()},
        "events": [{"name": e["name"],
                    "attributes": {k: value(k, v) for k, v in e["attributes"].items()}}
                   for e in span["events"]],
    }
""",
    "PCI-style: cards keep their last four, e-mails their domain": FUNCTION.replace(
        'text = pattern.sub("[REDACTED]", text)', "text = pattern.sub(partial, text)"
    ).replace(
        "def scrub(text):",
        "def partial(match):\n"
        "    found = match.group(0)\n"
        "    digits = re.sub(r'\\D', '', found)\n"
        "    if len(digits) >= 13 and digits == re.sub(r'[ -]', '', found):\n"
        "        return '**** ' + digits[-4:]\n"
        "    if '@' in found and ':' not in found:\n"
        "        return '***@' + found.split('@', 1)[1]\n"
        "    return '[REDACTED]'\n\n"
        "def scrub(text):",
    ),
    "a SpanProcessor that hashes what it finds (sha256, first 12 hex)": PROCESSOR.replace(
        'return "***"', "return digest(str(value))"
    )
    .replace(
        'return SECRET_VALUE.sub("***", text)',
        "return SECRET_VALUE.sub(lambda m: digest(m.group(0)), text)",
    )
    .replace(
        "class Redactor(SpanProcessor):",
        "import hashlib\n\ndef digest(text):\n"
        "    return 'sha256:' + hashlib.sha256(text.encode()).hexdigest()[:12]\n\n"
        "class Redactor(SpanProcessor):",
    ),
    "the same as YAML text, a whole Collector configuration": f"""
import yaml

def redaction_policy():
    TEAM["processors"]["redaction"]["blocked_values"][:0] = {EXTRA}
    return yaml.safe_dump(TEAM)
""",
    "fail closed: an allow-list of keys, every value pattern": f"""
def redaction_policy():
    return {{
        "allowed_keys": ["http.route", "http.request.method", "http.response.status_code",
                         "error.type", "server.address", "app.order.id", "url.path"],
        "blocked_values": {EXTRA} + TEAM_POLICY["blocked_values"],
        "summary": "debug",
    }}
""",
    "hashed, not masked (sha1, the Collector's hash_function)": SOLUTION.replace(
        "return {", 'return {"hash_function": "sha1", '
    ),
    "a function over plain spans": FUNCTION,
    "an SDK SpanProcessor": PROCESSOR,
}


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_pass(name):
    outcome = grade(ex07._check, answer(RIGHT[name]))
    assert outcome.passed, outcome.message


WRONG = {
    "unsolved": ("def redaction_policy():\n    ...", "redaction_policy returned None"),
    "the team's policy as it is": ("def redaction_policy():\n    return TEAM_POLICY",
                                   "a password (in a JSON body) under its usual key survived"),
    "cards only without separators": (
        SOLUTION.replace('+ TEAM_POLICY["blocked_values"]',
                         '+ [r"\\b\\d{13,19}\\b"] + TEAM_POLICY["blocked_values"][1:]'),
        "a card number (groups of four with spaces) under its usual key survived"),
    "a regular expression that does not compile": (
        'def redaction_policy():\n    return {"allow_all_keys": True, "blocked_values": ["(x"]}',
        "bad regular expression"),
    "a list, not settings": ("def redaction_policy():\n    return [TEAM_POLICY]",
                             "return settings (a dict or YAML)"),
    "a span processor that forgets event attributes": (PROCESSOR.replace(
        "self.inner.on_end(redacted_copy(span, self.value, self.text))",
        "copy = redacted_copy(span, self.value, self.text)\n"
        "        copy._events = span.events\n        self.inner.on_end(copy)"),
        "in an event attribute survived. Events have attributes too"),
    "a function that forgets status messages and names": (
        FUNCTION.replace('span["name"] = scrub(span["name"])', "").replace(
            'span["status"] = scrub(span["status"])', ""),
        "in a span name survived"),
    "a function that returns a string": (
        "def redaction_policy():\n    return lambda span: str(span)", "return the span, a dict"),
    # Cheats: right-looking output by the wrong means.
    "cheat: delete everything (an empty allow-list)": (
        'def redaction_policy():\n    return {"allow_all_keys": False, '
        '"blocked_values": TEAM_POLICY["blocked_values"]}',
        "http.route was removed: an SRE needs it"),
    "cheat: mask every string": ("""
def mask(value):
    return "****" if isinstance(value, str) else value

def redact(span):
    return {**span, "name": "****", "status": "****",
            "attributes": {k: mask(v) for k, v in span["attributes"].items()},
            "events": [{"name": e["name"], "attributes": {k: mask(v) for k, v in
                        e["attributes"].items()}} for e in span["events"]]}

def redaction_policy():
    return redact
""", "http.route came out as '****' instead of"),
    "cheat: match keys only (values under innocent keys get through)": ("""
def redaction_policy():
    return {"allow_all_keys": True, "blocked_key_patterns": [
        "(?i).*(card|passw|query|body|connection|authorization|token|key|email).*"]}
""", "under an innocent key survived. Keys lie"),
    "cheat: hard-code the sample's secrets, copied from the notebook": (f"""
def redaction_policy():
    seen = {SAMPLE_SECRETS!r}
    return {{**TEAM_POLICY, "blocked_values": seen + TEAM_POLICY["blocked_values"]}}
""", "your policy cleans the sample, yet on other spans"),
    "cheat: the check's own corpora generated and their secrets listed": ("""
import re
from coursekit.checks.ex07 import HIDDEN_SEEDS, corpus

KNOWN = sorted({re.escape(s.text) for seed in HIDDEN_SEEDS for s, _, _ in corpus(seed)[1]},
               key=len, reverse=True)

def redaction_policy():
    return {**TEAM_POLICY, "blocked_values": KNOWN + TEAM_POLICY["blocked_values"]}
""", "your policy cleans the check's own spans, yet on fresh ones"),
    "cheat: drop every span that holds anything": ("""
def redaction_policy():
    return lambda span: None
""", "85 of 85 spans went missing"),
    "cheat: the course's redaction patched to remove everything": ("""
import services.backend.processors as processors

def redaction_policy():
    processors.Redaction.mask_text = lambda self, text: ("", bool(text))
    return TEAM_POLICY
""", "services.backend.processors.Redaction.mask_text is not the course's own"),
    "cheat: reverse the secrets instead of masking them": (FUNCTION.replace(
        'text = pattern.sub("[REDACTED]", text)',
        "text = pattern.sub(lambda m: m.group(0)[::-1], text)").replace(
        'return "[REDACTED]"', "return value[::-1] if isinstance(value, str) else value"),
        "spread out or half masked: that gives it away"),
    "cheat: base64 instead of a mask": (FUNCTION.replace(
        'text = pattern.sub("[REDACTED]", text)',
        "text = pattern.sub(lambda m: __import__('base64').b64encode(m.group(0).encode())"
        ".decode(), text)"),
        "card number (16 digits) under its usual key survived, reversed, encoded"),
    "cheat: keep every other character": (FUNCTION.replace(
        'text = pattern.sub("[REDACTED]", text)',
        "text = pattern.sub(lambda m: half(m.group(0)), text)").replace(
        'return "[REDACTED]"', "return [half(v) for v in value] if isinstance(value, list) "
        "else half(str(value))").replace(
        "def scrub(text):", "def half(text):\n    return ''.join(c if i % 2 else '*' for i, "
        "c in enumerate(text))\n\ndef scrub(text):"),
        "spread out or half masked: that gives it away"),
    "cheat: ROT13": (FUNCTION.replace(
        'text = pattern.sub("[REDACTED]", text)',
        "text = pattern.sub(lambda m: __import__('codecs').encode(m.group(0), 'rot13'), text)"),
        "a card number (16 digits) under its usual key survived. Mask the whole value"),
    "cheat: a space between every character": (FUNCTION.replace(
        'text = pattern.sub("[REDACTED]", text)',
        "text = pattern.sub(lambda m: ' '.join(m.group(0)) if any(c.isalpha() for c in "
        "m.group(0)) else '[REDACTED]', text)"),
        "survived, reversed, encoded"),
    "cheat: each secret swapped letter for letter (case, digits made letters)": (
        CIPHERED, "each character swapped for another"),
    "cheat: every 'lookup' name masked whole, the status wiped, no pattern for names": (
        FUNCTION.replace('span["name"] = scrub(span["name"])',
                         'span["name"] = "lookup ****" if span["name"].startswith("lookup ") '
                         'else span["name"]').replace(
        'span["status"] = scrub(span["status"])', 'span["status"] = ""'),
        "a name with no secret in it stays as it is"),
    "cheat: tokens upper-cased, not masked": (FUNCTION.replace(
        'text = pattern.sub("[REDACTED]", text)',
        "text = pattern.sub(lambda m: m.group(0).upper() if any(c.islower() for c in "
        "m.group(0)) else '[REDACTED]', text)"),
        "a password (in a query string) under its usual key survived. Mask the whole value"),
    "cheat: prints the passed line": ("""
def redaction_policy():
    print("✔ passed: none of 82 secrets survived")
    return lambda span: span
""", "a card number (16 digits) under its usual key survived"),
}  # fmt: skip


def test_wrong_answers_fail_each_with_its_own_hint():
    assert len(WRONG) >= 8 and sum(n.startswith("cheat") for n in WRONG) >= 3
    assert_catalogue(WRONG, lambda source: grade(ex07._check, answer(source)))


def test_the_corpus_is_new_and_covers_every_kind_in_every_place():
    spans, planted = ex07.corpus()
    sample_values = {s.text for s, _, _ in ex07.corpus(ex07.SAMPLE_SEED)[1]}
    assert not sample_values & {s.text for s, _, _ in planted}
    assert {place for _, place, _ in planted} == set(ex07.PLACES)
    kinds = {s.what for s, _, _ in planted}
    assert len(kinds) >= 16
    for place in ex07.PLACES[1:4]:  # every kind with context, in each of these places
        assert len({s.what for s, p, _ in planted if p == place}) == len(kinds) - 1


def test_the_solution_passes_and_the_exercise_does_not(notebook_runs):
    assert notebook_runs.check_output("07") == notebook_runs.stored_output("07")
    assert "✘ not yet: redaction_policy returned None" in notebook_runs.check_output(
        "07", "exercise"
    )
