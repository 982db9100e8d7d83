"""``python -m services.receiver serve|export|load|scrub``, run as real processes."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

import coursekit as ck
from services.backend import otlp
from services.backend.process import ReceiverProcess
from services.backend.store import SpanStore
from tests.test_store import send

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.receiver", *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=120)  # fmt: skip


def stop_with(receiver: ReceiverProcess, signum: int) -> int:
    receiver._process.send_signal(signum)
    code = receiver._process.wait(timeout=30)
    receiver.stop()
    return code


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_stores_to_a_file_and_stops_cleanly(tmp_path, signum):
    path = tmp_path / "traces.db"
    receiver = ReceiverProcess(store=path).start()
    assert receiver.url.startswith("http://127.0.0.1:")
    assert any("OTEL_EXPORTER_OTLP_ENDPOINT=" + receiver.url in line for line in receiver.output)
    send(receiver.endpoint, "shop", 100)
    assert stop_with(receiver, signum) == 0
    output = "".join(receiver.output)
    assert "stopped; 100 spans stored" in output and "Traceback" not in output
    assert len(SpanStore(path)) == 100


def test_a_request_in_flight_when_it_is_told_to_stop_is_not_lost(tmp_path):
    path = tmp_path / "traces.db"
    receiver = ReceiverProcess(store=path).start()
    body = otlp.request_to_json(ck_request()).encode()
    port = int(receiver.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        client.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])  # fmt: skip
        health = f"{receiver.url}/health"
        while requests.get(health, timeout=10).json()["in_flight"] == 0:
            time.sleep(0.01)  # until the receiver is reading our body
        receiver._process.send_signal(signal.SIGTERM)
        client.sendall(body[10:])
        assert client.recv(100).startswith(b"HTTP/1.1 200")
    assert receiver._process.wait(timeout=30) == 0
    receiver.stop()
    assert [r.name for r in SpanStore(path).records()] == ["in flight"]


def ck_request():
    request = otlp.ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\1" * 16, b"\2" * 8, "in flight"
    span.start_time_unix_nano, span.end_time_unix_nano = 1, 2
    return request


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A store with two services' traces, filled through a real receiver."""
    path = tmp_path_factory.mktemp("cli") / "traces.db"
    with ReceiverProcess(store=path) as receiver:
        send(receiver.endpoint, "shop", 30, error_every=4)
        send(receiver.endpoint, "other", 20)
    return path


def test_export_writes_one_otlp_json_request_per_line_and_filters(stored):
    everything = run("export", "--store", str(stored))
    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.splitlines()
    spans = [r for line in lines for r in ck.records(received_from(line))]
    assert len(spans) == 50 and all(json.loads(line)["resourceSpans"] for line in lines)
    trace_id = spans[0].trace_id
    one = run("export", "--store", str(stored), "--trace", trace_id).stdout.splitlines()
    assert {r.trace_id for line in one for r in ck.records(received_from(line))} == {trace_id}
    other = run("export", "--store", str(stored), "--service", "other").stdout.splitlines()
    assert {r.service for line in other for r in ck.records(received_from(line))} == {"other"}
    nothing = run("export", "--store", str(stored), "--service", "nobody")
    assert nothing.returncode == 0 and nothing.stdout == ""


def received_from(line: str):
    from services.backend.receiver import received_spans

    return list(received_spans(otlp.request_from_json(line)))


def test_load_reads_exported_lines_and_a_whole_document(stored, tmp_path):
    exported = tmp_path / "traces.jsonl"
    exported.write_text(run("export", "--store", str(stored)).stdout)
    document = tmp_path / "one.json"
    request = otlp.request_from_json(exported.read_text().splitlines()[0])
    document.write_text(otlp.request_to_json(request, indent=2))  # spread over many lines
    copy = tmp_path / "copy.db"
    loaded = run("load", "--store", str(copy), str(exported), str(document))
    assert loaded.returncode == 0, loaded.stderr
    assert f"{exported}: 50 spans loaded" in loaded.stdout
    original = SpanStore(stored).records()
    again = SpanStore(copy).records()
    assert len(again) == 50 + len(received_from(exported.read_text().splitlines()[0]))
    assert {r.span_id: r for r in again} == {r.span_id: r for r in original}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["export", "--store", "{tmp}/missing.db"], "no store at"),
        (["export", "--store", "{tmp}/garbage.db"], "is not a span store"),
        (["load", "--store", "{tmp}/new.db", "{tmp}/missing.json"], "cannot read"),
        (["load", "--store", "{tmp}/new.db", "{tmp}/garbage.db"], "not OTLP JSON"),
        (["load", "--store", "{tmp}/new.db", "{tmp}/list.json"], "not OTLP JSON"),
        (["scrub", "--store", "{tmp}/new.db", "--config", "{tmp}/missing.yaml"], "cannot read"),
        (["scrub", "--store", "{tmp}/new.db", "--config", "{tmp}/bad.yaml"], "not valid YAML"),
        (["serve", "--config", "{tmp}/unknown.yaml"], "processor 'filter/drop'"),
        (["serve", "--config", "{root}/docker/otel-collector.yaml", "--port", "99999"],
         "not a port number"),
        (["scrub", "--store", "{tmp}/new.db", "--config", "{root}/docker/otel-collector.yaml"],
         "has no redaction"),
        (["export"], "--store"),
        (["serve", "--port", "eighty"], "invalid int"),
        (["frobnicate"], "invalid choice"),
    ],
)  # fmt: skip
def test_bad_flags_and_files_get_one_clear_line_and_a_non_zero_exit(tmp_path, args, says):
    (tmp_path / "garbage.db").write_bytes(b"\x00\x01 not sqlite, not json" * 200)
    (tmp_path / "list.json").write_text("[1, 2, 3]")
    (tmp_path / "bad.yaml").write_text("processors: [unclosed")
    (tmp_path / "unknown.yaml").write_text(
        "processors: {filter/drop: {}}\n"
        "service: {pipelines: {traces: {receivers: [otlp], processors: [filter/drop]}}}\n"
    )
    result = run(*(a.format(tmp=tmp_path, root=ROOT) for a in args))
    assert result.returncode != 0
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    said = [line for line in result.stderr.splitlines() if not line.startswith(("usage:", " "))]
    assert len(said) == 1, result.stderr  # argparse adds its usage lines before it


def test_the_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run("serve", "--port", str(taken.getsockname()[1]))
    assert result.returncode != 0 and "cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_backend_module_runs_the_same_command(stored):
    result = subprocess.run([sys.executable, "-m", "services.backend.receiver", "export",
                             "--store", str(stored), "--service", "other"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0 and result.stdout.count("\n") >= 1


def test_serve_runs_the_configs_processors(tmp_path):
    path = tmp_path / "traces.db"
    policy = ROOT / "docker" / "otel-collector-redaction.yaml"
    with ReceiverProcess(store=path, config=policy) as receiver:
        assert any("processors: memory_limiter, redaction" in line for line in receiver.output)
        request = ck_request()
        span = request.resource_spans[0].scope_spans[0].spans[0]
        span.attributes.add(key="db.password").value.string_value = "hunter2-hunter2"
        span.attributes.add(key="http.route").value.string_value = "/login"
        answer = requests.post(receiver.endpoint, data=request.SerializeToString(), timeout=30,
                               headers={"Content-Type": otlp.PROTOBUF})  # fmt: skip
        assert answer.status_code == 200
    [record] = SpanStore(path).records()
    assert record.attributes["db.password"] == "****"
    assert record.attributes["http.route"] == "/login"
