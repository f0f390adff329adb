"""The hub's REST side (httpx): log in, fetch hosts and machines, unsubscribe.

Every failure becomes a :class:`HubError` with one human line; no secret ever appears in one.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from ..config import Secret, Settings
from .errors import HubError, describe, for_status
from .models import HostRecord, LoginResponse, VMRecord

if TYPE_CHECKING:
    import httpx


@functools.cache
def _adapter(kind: type) -> TypeAdapter:
    return TypeAdapter(list[kind])  # type: ignore[valid-type]


class Auth:
    """The credentials in use, and the one live token obtained from them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.token: Secret | None = settings.token

    @property
    def can_login(self) -> bool:
        s = self.settings
        return bool((s.user and s.password) or s.api_key)

    def secrets(self) -> tuple[str, ...]:
        """Every secret in play, so an error message can be cleaned of them."""
        s = self.settings
        return tuple(x.reveal() for x in (self.token, s.token, s.api_key, s.password) if x)

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token.reveal()}"}
        if self.settings.api_key:
            return {"X-Api-Key": self.settings.api_key.reveal()}
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
                       retry_auth: bool = True) -> httpx.Response:
        import httpx

        headers = self.auth.headers() if auth else {}
        client = self._http()
        try:
            resp = await client.request(method, path, json=json_body, headers=headers)
        except httpx.TimeoutException:
            raise HubError(f"{self.where} did not answer the {what} in {self.settings.timeout:g} s", "timeout") from None
        except httpx.HTTPError as exc:
            cause = exc.__cause__ or exc.__context__ or exc
            while cause.__cause__ is not None or cause.__context__ is not None:
                nxt = cause.__cause__ or cause.__context__
                if nxt is None or nxt is cause:
                    break
                cause = nxt
            err = describe(cause, self.where)
            if err.kind == "protocol":
                err = HubError(f"{what} to {self.where} failed ({exc.__class__.__name__})", "unreachable")
            raise err from None
        if resp.status_code == 401 and auth and retry_auth and self.auth.can_login:
            await self.login()
            return await self._request(method, path, what, json_body=json_body, auth=auth, retry_auth=False)
        if resp.status_code >= 400:
            raise for_status(resp.status_code, self.where, resp.text, what, self.auth.secrets(),
                             has_credentials=not auth or self.settings.has_credentials() or bool(self.auth.token)) from None
        return resp

    def _json(self, resp: httpx.Response, what: str) -> Any:
        try:
            return resp.json()
        except (ValueError, UnicodeDecodeError):
            raise HubError(f"the {what} from {self.where} is not JSON; is this a Parallels DevOps server?",
                           "protocol") from None

    # ------------------------------------------------------------------ calls

    async def login(self) -> Secret:
        """``POST /v1/auth/token`` with user + password (email or username) or the API key."""
        s = self.settings
        if s.user and s.password:
            key = "email" if "@" in s.user else "username"
            body: dict[str, str] = {key: s.user, "password": s.password.reveal()}
        elif s.api_key:
            body = {"api_key": s.api_key.reveal()}
        else:
            raise HubError("no credentials to log in with; give --token, --api-key or --user", "auth")
        resp = await self._request("POST", "/v1/auth/token", "login", json_body=body, auth=False)
        try:
            token = LoginResponse.model_validate(self._json(resp, "login answer")).token
        except ValidationError:
            raise HubError(f"the login answer from {self.where} has no token", "protocol") from None
        self.auth.token = Secret(token)
        return self.auth.token

    async def hosts(self) -> list[HostRecord]:
        resp = await self._request("GET", "/v1/orchestrator/hosts", "hosts list")
        return self._validate(_adapter(HostRecord), self._json(resp, "hosts list"), "hosts list")

    async def machines(self) -> list[VMRecord]:
        resp = await self._request("GET", "/v1/orchestrator/machines", "machines list")
        return self._validate(_adapter(VMRecord), self._json(resp, "machines list"), "machines list")

    async def snapshot(self) -> tuple[list[HostRecord], list[VMRecord]]:
        hosts, vms = await asyncio.gather(self.hosts(), self.machines())
        return hosts, vms

    def _validate(self, adapter: TypeAdapter, value: Any, what: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise HubError(f"the {what} from {self.where} is not a list", "protocol")
        try:  # the whole list at once: fast for 20,000 records
            return adapter.validate_python(value)
        except ValidationError:
            pass
        out = []
        for item in value:  # one bad record does not hide the others
            try:
                out.extend(adapter.validate_python([item]))
            except ValidationError:
                continue
        return out

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

    async def ws_stats(self) -> Any:
        resp = await self._request("GET", "/v1/ws/stats", "hub stats")
        return self._json(resp, "hub stats")
