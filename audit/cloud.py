"""The edge to a live OpenStack: one authenticated session per cloud, raw REST calls, a count of every request.

Raw REST (through openstacksdk's authenticated adapters) keeps the mapping honest: the bodies sent are the
API's own field names, exactly what ``mapping.py`` documents. Credentials stay inside openstacksdk; nothing
here prints or stores them.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol

from govctl.audit.errors import AuthenticationFailed, CloudConfigError, CloudError, CloudUnreachable

# The block-storage adapter's endpoint carries the project id; the others are plain.
SERVICES = ("identity", "network", "compute", "block-storage", "dns", "object-store")
NOVA_MICROVERSION = "2.64"  # server-group "policy" (singular), flavor extra_specs in lists


class Api(Protocol):
    """What seeding and the audit need from a cloud; ``FakeApi`` in tests implements the same."""

    calls: int
    project_id: str
    user_id: str

    def has(self, service: str) -> bool: ...

    def call(self, service: str, method: str, path: str, *, region: str | None = None, body: Any = None,
             project: str | None = None, ok: tuple[int, ...] = (200, 201, 202, 204),
             headers: dict[str, str] | None = None) -> Any: ...

    def head(self, service: str, path: str, *, region: str | None = None,
             project: str | None = None) -> dict[str, str]: ...


class Cloud:
    """An authenticated openstacksdk connection used for raw REST calls, per region and per project scope."""

    def __init__(self, name: str, config_file: str | None = None) -> None:
        import openstack
        from openstack import config as os_config
        from openstack import exceptions as os_exc

        logging.getLogger("keystoneauth").setLevel(logging.ERROR)
        logging.getLogger("openstack").setLevel(logging.ERROR)
        self.name = name
        self.calls = 0
        self._lock = threading.Lock()
        files = [config_file] if config_file else None
        shown = config_file or os.environ.get("OS_CLIENT_CONFIG_FILE") or "clouds.yaml"
        try:
            loader = os_config.OpenStackConfig(config_files=files) if files else os_config.OpenStackConfig()
            region = loader.get_one(cloud=name)
        except os_exc.ConfigException as exc:
            raise CloudConfigError(f"cloud '{name}': {exc} (looked in {shown}; set OS_CLIENT_CONFIG_FILE "
                                   "or pass --cloud)") from None
        except Exception as exc:  # yaml.YAMLError and friends: the file itself is broken
            raise CloudConfigError(f"{shown}: cannot read clouds.yaml: {type(exc).__name__}: "
                                   f"{_first_line(exc)}") from None
        self._conn = openstack.connection.Connection(config=region)
        self._instrument(self._conn)
        self._scoped: dict[str, Any] = {}
        try:
            self._conn.authorize()
        except os_exc.SDKException as exc:
            raise _auth_error(name, exc) from None
        project_id, user_id = self._conn.current_project_id, self._conn.current_user_id
        if not project_id or not user_id:  # an unscoped token: nothing here could be read or audited
            raise CloudConfigError(f"{shown}: cloud '{name}' authenticated without a project scope; "
                                   "set project_name (and its domain) in clouds.yaml")
        self.project_id: str = project_id
        self.user_id: str = user_id
        self.region = self._conn.config.region_name
        self._catalog = {s["type"] for s in self._conn.service_catalog}

    def _instrument(self, conn: Any) -> None:
        session = conn.session
        if getattr(session, "_govctl_counted", False):
            return
        original = session.request

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls += 1
            return original(*args, **kwargs)

        session.request = counted
        session._govctl_counted = True

    def has(self, service: str) -> bool:
        aliases = {"block-storage": {"block-storage", "volumev3"}, "object-store": {"object-store"},
                   "dns": {"dns"}}
        return bool(aliases.get(service, {service}) & self._catalog)

    def _conn_for(self, project: str | None) -> Any:
        """The connection scoped to ``project`` (the credentials' own for None); the region is chosen per request."""
        if project is not None and project != self.project_id:
            with self._lock:
                conn = self._scoped.get(project)
            if conn is None:
                conn = self._conn.connect_as(project_id=project)
                self._instrument(conn)
                with self._lock:
                    self._scoped[project] = conn
            return conn
        return self._conn

    def _send(self, conn: Any, service: str, path: str, method: str, region: str | None, body: Any,
              headers: dict[str, str], account: str | None = None) -> Any:
        proxy = getattr(conn, {"block-storage": "block_storage", "object-store": "object_store"}.get(service, service))
        where = self._region_kwargs(conn, proxy, region) if region and region != self.region else {}
        if account is not None:  # the credentials' account URL (AUTH_<own project id>) turned into the project's
            url = where.get("endpoint_override") or proxy.get_endpoint()
            if not url.rstrip("/").endswith(self.project_id):
                raise CloudError(f"{method} {service}{path}: the object-store endpoint {url} does not end in the "
                                 "credentials' project id; cannot address another project's account")
            where["endpoint_override"] = url.rstrip("/")[:-len(self.project_id)] + account
        return proxy.request(path, method, json=body, headers=headers, raise_exc=False, **where)

    @staticmethod
    def _region_kwargs(conn: Any, proxy: Any, region: str) -> dict[str, Any]:
        """What makes one request go to ``region``'s endpoint of the proxy's service.

        A Connection keeps the region it was configured with (``Connection(config=..., region_name=...)`` and
        ``connect_as`` do not change it), so the region is chosen per request: keystoneauth's endpoint filter;
        and where openstacksdk pinned the endpoint after discovery (network: the catalog URL + ``/v2.0``;
        object-store: the account URL), the same pin on the region's catalog URL."""
        where: dict[str, Any] = {"endpoint_filter": {"region_name": region}}
        kind = {"interface": proxy.interface or "public", "service_type": proxy.service_type}
        try:
            there = conn.session.get_endpoint(region_name=region, **kind)
        except ValueError:  # keystoneauth's "Programming error choosing an endpoint." for an alias with none
            there = None
        if there is None:
            from keystoneauth1 import exceptions as ks_exc

            raise ks_exc.EndpointNotFound(f"no {proxy.service_type} endpoint in region {region}")
        pinned = proxy.endpoint_override
        if pinned:
            own = conn.session.get_endpoint(region_name=proxy.region_name, **kind) or ""
            suffix = pinned[len(own.rstrip("/")):] if own and pinned.startswith(own.rstrip("/")) else ""
            where["endpoint_override"] = there.rstrip("/") + suffix
        return where

    def call(self, service: str, method: str, path: str, *, region: str | None = None, body: Any = None,
             project: str | None = None, ok: tuple[int, ...] = (200, 201, 202, 204),
             headers: dict[str, str] | None = None) -> Any:
        """One REST call; returns the decoded JSON (None when empty); raises ``CloudError`` with the API's text.

        ``headers``: request headers beyond the microversion (e.g. Swift's X-Container-Meta-*)."""
        resp = self._request(service, method, path, region=region, body=body, project=project, ok=ok,
                             headers=headers)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            return None

    def head(self, service: str, path: str, *, region: str | None = None,
             project: str | None = None) -> dict[str, str]:
        """The response headers of a HEAD (where an API answers only in headers: Swift's container metadata)."""
        return dict(self._request(service, "HEAD", path, region=region, body=None, project=project,
                                  ok=(200, 204), headers=None).headers)

    def _request(self, service: str, method: str, path: str, *, region: str | None, body: Any, project: str | None,
                 ok: tuple[int, ...], headers: dict[str, str] | None) -> Any:
        from keystoneauth1 import exceptions as ks_exc
        from openstack import exceptions as os_exc

        headers = {**({"OpenStack-API-Version": f"compute {NOVA_MICROVERSION}",
                       "X-OpenStack-Nova-API-Version": NOVA_MICROVERSION} if service == "compute" else {}),
                   **(headers or {})}
        try:
            if service == "object-store" and project is not None and project != self.project_id:
                # Swift: the project's account with the credentials' own token first (a reseller admin, as a Swift
                # operator's auditor is, reads every account), then with a token scoped to the project.
                resp = self._send(self._conn, service, path, method, region, body, headers, account=project)
                if resp.status_code in (401, 403):
                    resp = self._send(self._conn_for(project), service, path, method, region, body, headers)
            else:
                resp = self._send(self._conn_for(project), service, path, method, region, body, headers)
        except ks_exc.ConnectFailure as exc:
            raise CloudUnreachable(f"cloud '{self.name}': {service} endpoint does not answer: "
                                   f"{_first_line(exc)}") from None
        except ks_exc.EndpointNotFound:
            raise CloudError(f"cloud '{self.name}': no {service} endpoint in region {region or self.region}") \
                from None
        except (ks_exc.ClientException, os_exc.SDKException) as exc:  # e.g. a scoped token refused (401)
            raise CloudError(f"{method} {service}{path}: {_first_line(exc)}",
                             getattr(exc, "http_status", None) or 0) from None
        if resp.status_code not in ok:
            raise CloudError(f"{method} {service}{path}: HTTP {resp.status_code}: {_api_message(resp)}",
                             resp.status_code)
        return resp


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _api_message(resp: Any) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:300]
    if isinstance(data, dict):
        for v in data.values():
            if isinstance(v, dict) and "message" in v:
                return str(v["message"])
        for key in ("message", "NeutronError", "error"):
            if key in data:
                inner = data[key]
                return str(inner.get("message", inner)) if isinstance(inner, dict) else str(inner)
    return str(data)[:300]


def _auth_error(name: str, exc: BaseException) -> Exception:
    from keystoneauth1 import exceptions as ks_exc

    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, (ks_exc.ConnectFailure, ks_exc.ConnectTimeout)) for e in chain) \
            or "Unable to establish connection" in text or "timed out" in text:
        return CloudUnreachable(f"cloud '{name}': the auth URL does not answer ({_first_line(exc)})")
    if any(isinstance(e, ks_exc.Unauthorized) for e in chain) or "HTTP 401" in text:
        return AuthenticationFailed(f"cloud '{name}': Keystone refused the credentials (HTTP 401): check the "
                                    "user, password and project in clouds.yaml")
    if "auth_url" in text or "Missing" in text or "missing" in text:
        return CloudConfigError(f"cloud '{name}': {_first_line(exc)}")
    return CloudUnreachable(f"cloud '{name}': authentication failed: {_first_line(exc)}")


def default_config_file() -> str | None:
    """The clouds.yaml openstacksdk would read, if OS_CLIENT_CONFIG_FILE names one that exists."""
    f = os.environ.get("OS_CLIENT_CONFIG_FILE")
    return f if f and Path(f).is_file() else None
