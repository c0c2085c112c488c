"""Idempotency keys on every API POST: a client that sends `Idempotency-Key` may send the same request again
(after a timeout, a dropped connection) and get the first answer back instead of a second lead or touch.

The key is scoped to the caller and the path. A token caller is named by a hash of the credential it sends, so
this check needs no database lookup of its own and config/ stays free of the accounts app (a forged credential
only gets a scope of its own). The first request takes the key as a lock (SET NX with an expiry), runs, and
stores its answer for IDEMPOTENCY_TTL_SECONDS. Then, for the same key:
- the same method, path (with query) and body (a multipart body: the same fields and files in the same order,
  whatever its boundary): the stored answer, byte for byte, with `Idempotent-Replayed: true`;
- another request: 422 `idempotency_key_reused`;
- while the first still runs: 409 `idempotency_key_in_use` (retry later).
Only an answer to a caller the API authenticated is stored, and never a 401, 403, 429 or 5xx: the key is released,
so the retry after fixing the credential or the scope, waiting, or a passing failure really runs. Another 4xx is
the answer.

The middleware sits after ApiErrorMiddleware: a body too large is refused before it is read here, and an
exception in a view reaches this middleware already turned into its problem document.
"""

import base64
import hashlib
import io
import json
import logging
import re
import tempfile
import uuid
from typing import IO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files import uploadhandler
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError

from config import problems, shared_store

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII without surrounding spaces (HTTP strips those), 1–255 characters.
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
# Headers that belong to the answer itself (the rest — rate limits, security headers — are the replay's own).
_KEPT_HEADERS = ("Content-Type", "Location", "Allow")
logger = logging.getLogger("config.idempotency")


# Answers a retry must run again: the caller may fix its credential or get the scope, or wait out a rate limit.
_NOT_STORED = frozenset({401, 403, 429})


def _stored(request, response) -> bool:
    """Whether the answer is kept for replay. DRF sets the Django request's `user` to whom it authenticated
    (AnonymousUser for a refused credential), so an unauthenticated caller's answer is never kept."""
    if response.streaming or response.status_code >= 500 or response.status_code in _NOT_STORED:
        return False
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def _caller(request) -> str | None:
    credential = request.META.get("HTTP_AUTHORIZATION", "")
    if credential.lower().startswith("bearer "):
        return "token:" + hashlib.sha256(credential.encode()).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _problem(status: int, detail: str, code: str, retry_after: int | None = None) -> HttpResponse:
    response = problems.problem_response(status, detail, code)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _replay(record: dict) -> HttpResponse:
    response = HttpResponse(base64.b64decode(record["body"]), status=record["status"])
    for name, value in record["headers"].items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _answer_to(record: dict, fingerprint: str) -> HttpResponse:
    if record["fingerprint"] != fingerprint:
        detail = f"This {HEADER} was used with another request; send a new key with a new request."
        return _problem(422, detail, "idempotency_key_reused")
    if record["state"] == "running":
        detail = f"A request with this {HEADER} is still running; retry once it has finished."
        return _problem(409, detail, "idempotency_key_in_use", retry_after=1)
    return _replay(record)


def _body(request) -> IO[bytes]:
    """The body, to read from its start. A file upload larger than the in-memory limit (API_UPLOAD_LIMITS) is read
    once through a spooled temporary file, which the view then reads as the request's stream."""
    try:
        return io.BytesIO(request.body)
    except RequestDataTooBig:
        pass
    # Not a context manager: the view reads it after this returns; it closes when the request is collected.
    spooled = tempfile.SpooledTemporaryFile(max_size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    while chunk := request.read(64 * 1024):
        spooled.write(chunk)
    request._stream, request._read_started = spooled, False
    return spooled


def _hash_body(request, digest) -> None:
    """Adds the body to the fingerprint: a multipart body by its parsed parts, since a client's retry may choose a
    new boundary (python requests does, each send) for the same request; any other body by its bytes."""
    body = _body(request)
    try:
        if request.content_type == "multipart/form-data" and _hash_multipart(request, body, digest):
            return
        body.seek(0)
        while chunk := body.read(64 * 1024):
            digest.update(chunk)
    finally:
        body.seek(0)  # the view reads the spooled body from its start


def _hash_multipart(request, body: IO[bytes], digest) -> bool:
    """Adds each field's name and value, then each file's field, name and bytes, in the order sent. False, having
    added nothing, for a body that does not parse: its bytes fingerprint it, and the view refuses it anyway."""
    # Handlers of its own: the request's, which the view's parse uses, stay unused (large files go to disk).
    handlers = [uploadhandler.load_handler(path, request) for path in settings.FILE_UPLOAD_HANDLERS]
    try:
        fields, files = MultiPartParser(request.META, body, handlers, request.encoding).parse()
    except (MultiPartParserError, SuspiciousOperation):
        return False
    digest.update(b"multipart\n")
    for name, value in fields.lists():
        digest.update(json.dumps(["field", name, value]).encode() + b"\n")
    for name, uploads in files.lists():
        for upload in uploads:
            digest.update(json.dumps(["file", name, upload.name, upload.size]).encode() + b"\n")
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.close()
    return True


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if raw is None or request.method != "POST" or not problems.is_api(request):
            return self.get_response(request)
        if not _KEY.match(raw):
            detail = f"The {HEADER} header must be 1 to 255 printable ASCII characters."
            return _problem(400, detail, "invalid_idempotency_key")
        caller = _caller(request)
        if caller is None:  # nobody to scope the key to; the view refuses the request anyway
            return self.get_response(request)
        scope = hashlib.sha256(f"{caller}\n{request.path}\n{raw}".encode()).hexdigest()
        fingerprint = hashlib.sha256(f"{request.method}\n{request.get_full_path()}\n".encode())
        _hash_body(request, fingerprint)
        return self._once(request, shared_store.key("idempotency", scope), fingerprint.hexdigest())

    def _once(self, request, name: str, fingerprint: str):
        store = shared_store.store()
        running = json.dumps({"state": "running", "fingerprint": fingerprint, "owner": uuid.uuid4().hex}).encode()
        try:
            # Twice: the record seen taken may expire before it is read.
            for _ in range(2):
                if store.add(name, running, settings.IDEMPOTENCY_LOCK_SECONDS * 1000):
                    break
                existing = store.get(name)
                if existing is not None:
                    return _answer_to(json.loads(existing), fingerprint)
            else:
                return _answer_to({"state": "running", "fingerprint": fingerprint}, fingerprint)
        except shared_store.StoreError as exc:
            # Running the request without its key could do it twice: the client is told to retry instead.
            logger.warning("Idempotency store unreachable, POST %s refused: %s", request.path, exc)
            detail = "Idempotency keys cannot be checked right now; retry the request later."
            return _problem(503, detail, "idempotency_unavailable", retry_after=5)
        try:
            response = self.get_response(request)
        except BaseException:
            self._settle(store, name, running, fingerprint, None)
            raise
        self._settle(store, name, running, fingerprint, response if _stored(request, response) else None)
        return response

    @staticmethod
    def _settle(store, name: str, running: bytes, fingerprint: str, response) -> None:
        """Stores the answer in place of the lock, or releases the lock when there is none to keep."""
        if response is None:
            value = None
        else:
            headers = {header: response[header] for header in _KEPT_HEADERS if response.has_header(header)}
            body = base64.b64encode(response.content).decode()
            record = {"state": "done", "fingerprint": fingerprint, "status": response.status_code}
            record |= {"headers": headers, "body": body}
            value = json.dumps(record).encode()
        try:
            store.swap(name, running, value, settings.IDEMPOTENCY_TTL_SECONDS * 1000)
        except shared_store.StoreError as exc:
            # The work is done: answer it. A retry with this key then finds the lock until it expires.
            logger.warning("Idempotency store unreachable, answer to %s not kept: %s", name, exc)
