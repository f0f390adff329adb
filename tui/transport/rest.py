"""The hub's REST side (httpx): log in, fetch hosts and machines, unsubscribe.

Every failure becomes a :class:`HubError` with one human line; no secret ever appears in one.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from ..protocol.errors import ErrorKind, HubError, describe, for_status, redirected
from ..protocol.listing import ListingReader
from ..protocol.models import HostRecord, LoginResponse, VMRecord
from ..protocol.records import Listings
from ..settings import SecretStr, Settings, api_key_parts

if TYPE_CHECKING:
    import httpx

MiB = 1024 * 1024
#: how much of an error answer (4xx, 5xx) is read for the server's sentence
ERROR_BODY_MAX = 64 * 1024


@dataclass(slots=True)
class Answer:
    """A whole HTTP answer: status, body, and where a redirect pointed; ``received`` counts the body's bytes
    (also those handed to a sink as they came)."""

    status: int
    body: bytes | bytearray
    location: str | None
    received: int = 0

    @property
    def text(self) -> str:
        return bytes(self.body).decode("utf-8", "replace")


@functools.cache
def _adapter(kind: type) -> TypeAdapter:
    return TypeAdapter(list[kind])  # type: ignore[valid-type]


class Auth:
    """The credentials in use, and the one live token obtained from them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.token: SecretStr | None = settings.token

    @property
    def can_login(self) -> bool:
        s = self.settings
        return bool((s.user and s.password) or s.api_key)

    def secrets(self) -> tuple[str, ...]:
        """Every secret in play, so an error message can be cleaned of them (an API key also as the
        ``KEY:SECRET`` it encodes, and its secret half: a server may quote what it decoded)."""
        s = self.settings
        out = [x.get_secret_value() for x in (self.token, s.token, s.api_key, s.password) if x]
        if s.api_key:
            out.extend(api_key_parts(s.api_key.get_secret_value()))
        return tuple(out)

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token.get_secret_value()}"}
        if self.settings.api_key:
            return {"X-Api-Key": self.settings.api_key.get_secret_value()}
        return {}


class HubRest:
    def __init__(self, settings: Settings, auth: Auth | None = None) -> None:
        self.settings = settings
        self.auth = auth or Auth(settings)
        self.where = settings.display_url
        # made on the first request: httpx and its TLS context cost ~0.1 s, and `hubtop tail` with a token
        # never makes one
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            s = self.settings
            self._client = httpx.AsyncClient(
                base_url=s.api_base,
                verify=s.ssl_context() or True,
                timeout=s.timeout,
                headers={"User-Agent": "hubtop"},
                follow_redirects=False,
            )
        return self._client

    async def __aenter__(self) -> HubRest:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # ------------------------------------------------------------------ plumbing

    async def _request(self, method: str, path: str, what: str, *, json_body: Any = None, auth: bool = True,
                       retry_auth: bool = True, sink: ListingReader | None = None) -> Answer:
        """One request, whole: the answer and its body within ``timeout`` seconds (not per read: a server
        that drips a byte at a time is cut off too), and a body of at most ``max_body`` bytes. With a ``sink``,
        a successful answer's body goes to it as it arrives instead of into ``Answer.body``."""
        import httpx

        headers = self.auth.headers() if auth else {}
        client = self._http()
        timeout = self.settings.timeout
        answer = Answer(0, b"", None)
        try:
            async with asyncio.timeout(timeout):
                async with client.stream(method, path, json=json_body, headers=headers) as resp:
                    answer.status, answer.location = resp.status_code, resp.headers.get("location")
                    # an error body is only read for its sentence: a little of it is enough
                    await self._read(resp, what, answer, whole=resp.status_code < 300, sink=sink)
        except TimeoutError:
            # the cancelled read's frames live on in a reference cycle (asyncio.timeout's exception and its
            # traceback) until a full collection, which a busy feed rarely runs: not with megabytes of body
            came, answer.body = answer.received, b""
            if sink is not None:
                sink.abandon()
            if answer.status:
                raise HubError(f"the {what} from {self.where} did not arrive in full within {timeout:g} s "
                               f"(--timeout; {came:,} bytes came)", ErrorKind.TIMEOUT) from None
            raise HubError(f"{self.where} did not answer the {what} in {timeout:g} s", ErrorKind.TIMEOUT) from None
        except httpx.TimeoutException:
            answer.body = b""
            if sink is not None:
                sink.abandon()
            raise HubError(f"{self.where} did not answer the {what} in {timeout:g} s", ErrorKind.TIMEOUT) from None
        except httpx.HTTPError as exc:
            answer.body = b""
            if sink is not None:
                sink.abandon()
            cause = exc.__cause__ or exc.__context__ or exc
            while cause.__cause__ is not None or cause.__context__ is not None:
                nxt = cause.__cause__ or cause.__context__
                if nxt is None or nxt is cause:
                    break
                cause = nxt
            err = describe(cause, self.where)
            if err.kind == ErrorKind.PROTOCOL:
                err = HubError(f"{what} to {self.where} failed ({exc.__class__.__name__})", ErrorKind.UNREACHABLE)
            raise err from None
        status = answer.status
        if status == 401 and auth and retry_auth and self.auth.can_login:
            await self.login()
            return await self._request(method, path, what, json_body=json_body, auth=auth, retry_auth=False,
                                       sink=sink)
        if 300 <= status < 400:
            raise redirected(self.where, what, status, self.settings.api_base + path, answer.location)
        if status >= 400:
            raise for_status(status, self.where, answer.text, what, self.auth.secrets(),
                             has_credentials=not auth or self.settings.has_credentials() or bool(self.auth.token)) from None
        return answer

    async def _read(self, resp: httpx.Response, what: str, answer: Answer, *, whole: bool,
                    sink: ListingReader | None = None) -> None:
        """The body into ``answer.body`` (or, ``whole`` and with a ``sink``, to the sink as it arrives), stopped
        at ``max_body`` (an error), or quietly at ``ERROR_BODY_MAX`` when not ``whole``."""
        cap = self.settings.max_body if whole else ERROR_BODY_MAX
        length = resp.headers.get("content-length", "")
        if whole and length.isdigit() and int(length) > cap:
            raise self._too_big(what)
        if whole and sink is not None:
            async for chunk in resp.aiter_bytes():  # decoded: the cap holds for a compressed body too
                answer.received += len(chunk)
                if answer.received > cap:
                    raise self._too_big(what)
                sink.feed(chunk)
            return
        body = bytearray()
        try:
            async for chunk in resp.aiter_bytes():
                body += chunk
                answer.body, answer.received = body, len(body)
                if len(body) > cap:
                    if not whole:
                        answer.body = bytes(body[:cap])
                        return
                    raise self._too_big(what)
            answer.body = body  # json.loads takes it as it is: no copy of a large body
        finally:
            del body  # this frame may outlive a failed read in a traceback: without the body

    def _too_big(self, what: str) -> HubError:
        cap = self.settings.max_body
        size = f"{cap / MiB:g} MiB" if cap >= MiB else f"{cap:,} bytes"
        return HubError(f"the {what} from {self.where} is larger than {size}; not read further (raise the cap with "
                        "HUBTOP_MAX_BODY or max_body in the profile)", ErrorKind.PROTOCOL)

    def _json(self, answer: Answer, what: str) -> Any:
        try:
            return json.loads(answer.body)
        except (ValueError, UnicodeDecodeError):
            raise HubError(f"the {what} from {self.where} is not JSON; is this a Parallels DevOps server?",
                           ErrorKind.PROTOCOL) from None
        except RecursionError:
            raise HubError(f"the {what} from {self.where} is nested too deeply to read", ErrorKind.PROTOCOL) from None

    # ------------------------------------------------------------------ calls

    async def login(self) -> SecretStr:
        """``POST /v1/auth/token`` with user + password (email or username) or the API key."""
        s = self.settings
        if s.user and s.password:
            key = "email" if "@" in s.user else "username"
            body: dict[str, str] = {key: s.user, "password": s.password.get_secret_value()}
        elif s.api_key:
            body = {"api_key": s.api_key.get_secret_value()}
        else:
            raise HubError("no credentials to log in with; give --token, --api-key or --user", "auth")
        resp = await self._request("POST", "/v1/auth/token", "login", json_body=body, auth=False)
        try:
            token = LoginResponse.model_validate(self._json(resp, "login answer")).token
        except ValidationError:
            raise HubError(f"the login answer from {self.where} has no token", "protocol") from None
        self.auth.token = SecretStr(token)
        return self.auth.token

    async def hosts(self) -> list[HostRecord]:
        return (await self._listing(HostRecord, "/v1/orchestrator/hosts", "hosts list"))[0]

    async def machines(self) -> list[VMRecord]:
        return (await self._listing(VMRecord, "/v1/orchestrator/machines", "machines list"))[0]

    async def snapshot(self) -> tuple[list[HostRecord], list[VMRecord]]:
        listings = await self.listings()
        return listings.hosts, listings.vms

    async def listings(self) -> Listings:
        """Both listings at once, read a field at a time where they must be (see :func:`read_records`)."""
        calls = [asyncio.ensure_future(self._listing(HostRecord, "/v1/orchestrator/hosts", "hosts list")),
                 asyncio.ensure_future(self._listing(VMRecord, "/v1/orchestrator/machines", "machines list"))]
        try:
            (hosts, host_problems, unreadable), (vms, vm_problems, _) = await asyncio.gather(*calls)
        finally:  # one failed: the other is not left running (and reading) behind it
            for call in calls:
                call.cancel()
            calls.clear()  # nor its listing kept by this frame, should a traceback keep the frame
        return Listings(hosts, vms, host_problems + vm_problems, unreadable)

    async def _listing(self, kind: type, path: str, what: str) -> tuple[list, list[tuple[str, str]], int]:
        reader = ListingReader(kind)  # a record at a time as the text arrives: never the whole listing held
        try:
            await self._request("GET", path, what, sink=reader)
            return reader.close()
        except (ValueError, UnicodeDecodeError):
            raise HubError(f"the {what} from {self.where} is not JSON; is this a Parallels DevOps server?",
                           ErrorKind.PROTOCOL) from None
        except RecursionError:
            raise HubError(f"the {what} from {self.where} is nested too deeply to read", ErrorKind.PROTOCOL) from None
        except TypeError:
            raise HubError(f"the {what} from {self.where} is not a list", "protocol") from None

    async def unsubscribe(self, client_id: str, channels: list[str]) -> list[str]:
        """Unsubscribe ``client_id`` from ``channels``; returns the channels the server says it removed."""
        resp = await self._request(
            "POST", "/v1/ws/unsubscribe", "unsubscribe", json_body={"client_id": client_id, "event_types": channels}
        )
        text = resp.text.strip()
        if not text:
            return list(channels)
        try:
            value = json.loads(text)
        except ValueError:
            return list(channels)
        message = value.get("message", "") if isinstance(value, dict) else ""
        match = re.search(r"unsubscribed from:\s*(.*)$", message)
        if not match:
            return list(channels)
        done = [c.strip().lower() for c in match.group(1).split(",") if c.strip()]
        return [c for c in channels if c in done]

    async def ws_clients(self) -> list[dict[str, Any]]:
        """``GET /v1/ws/clients``: the hub's own view of each client (``id``, ``event_subscriptions``,
        ``queue_depth``, ...), as a list of objects; entries that are not objects are left out. A server that
        does not allow it (401, 403, 404) raises :class:`HubError` like any call."""
        value = self._json(await self._request("GET", "/v1/ws/clients", "clients list"), "clients list")
        if not isinstance(value, list):
            raise HubError(f"the clients list from {self.where} is not a list", "protocol")
        return [entry for entry in value if isinstance(entry, dict)]
