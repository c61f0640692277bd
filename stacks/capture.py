"""Run a stack's program under Pulumi's mock runtime and capture the whole resource graph.

The SDK's ``Mocks.new_resource`` sees only type, name, inputs and provider; a
``MockMonitor`` subclass sees the whole RegisterResource request, so parent,
provider, dependencies and inputs are all captured. URNs are derived the way the
engine derives them (full parent type chain, no root stack type) so a graph can
be diffed against a real ``pulumi stack export``.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from pulumi.runtime import mocks as pm
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await
from pulumi.runtime.proto import resource_pb2

from govctl.stacks.errors import ProgramError
from govctl.stacks.models import (ID_PREFIX, LOOKUP_PREFIX, PROJECT, ROOT_STACK_TYPE, SECRET, STACK_REFERENCE_TYPE,
                           Resource, StackGraph)

_SECRET_SIG = rpc._special_secret_sig if hasattr(rpc, "_special_secret_sig") else "1b47061264138c4ac30d75fd1eb44270"


def redact(value: Any) -> Any:
    """Plain JSON data from captured inputs: secrets replaced, numbers that are whole made ints, keys sorted."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == _SECRET_SIG:
            return SECRET
        return {str(k): redact(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if hasattr(value, "__str__") and type(value).__name__ in ("Unknown",):
        return "<unknown>"
    return str(value)


class _Mocks(pm.Mocks):
    """Resource states echo their inputs; ids are placeholders naming the resource; lookups stay symbolic."""

    def __init__(self, references: dict[str, dict[str, Any]]) -> None:
        self.references = references

    def new_resource(self, args: pm.MockResourceArgs) -> tuple[str | None, dict]:
        if args.typ == STACK_REFERENCE_TYPE:
            name = args.resource_id or args.inputs.get("name", "")
            outputs = self.references.get(name)
            if outputs is None:
                raise ProgramError(f"StackReference '{name}': that stack has not been planned (no outputs)")
            return name, {"name": name, "outputs": outputs, "secretOutputNames": []}
        return None, dict(args.inputs)

    def call(self, args: pm.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        label = args.args.get("name") or args.args.get("id") or ""
        token = args.token.split(":")[-1]
        found = {**args.args, "id": f"{LOOKUP_PREFIX}{token}/{label}>"}
        if token == "getAuthScope":  # who the credentials are: the operator's user, for its role grants
            found["userId"] = f"{LOOKUP_PREFIX}{token}/{label}/userId>"
        return found, []  # no check failures


class CaptureMonitor(pm.MockMonitor):
    """Records every registration with engine URNs; ids are ``<id:ENGINE-URN>`` so references stay readable."""

    def __init__(self, mocks: _Mocks, stack: str, project: str) -> None:
        super().__init__(mocks)
        self.stack, self.project = stack, project
        self.engine_urn: dict[str, str] = {}  # mock URN -> engine URN
        self.qualified: dict[str, str] = {}  # mock URN -> qualified type chain ("" for the root stack)
        self.captured: dict[str, Resource] = {}
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._loops_lock = threading.Lock()

    def _names(self, parent: str, type_: str, name: str) -> tuple[str, str, str]:
        mock = self.make_urn(parent, type_, name)
        chain = self.qualified.get(parent, "") if parent else ""
        qualified = f"{chain}${type_}" if chain else type_
        engine = f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"
        self.engine_urn[mock] = engine
        self.qualified[mock] = qualified if type_ != ROOT_STACK_TYPE else ""
        return mock, engine, qualified

    def _ref(self, ref: str) -> str | None:
        """A provider reference 'URN::ID' (mock URN) as the provider's engine URN."""
        if not ref:
            return None
        # Our ids contain "::" themselves ("<id:urn:...>"), so cut at the id's start when it is ours.
        urn = ref.split("::" + ID_PREFIX, 1)[0] if "::" + ID_PREFIX in ref else ref.rsplit("::", 1)[0]
        return self.engine_urn.get(urn, urn)

    def _record(self, request: Any, engine: str, inputs: dict[str, Any], custom: bool, id_: str | None) -> None:
        parent = self.engine_urn.get(request.parent) if request.parent else None
        if parent is not None and parent.split("::")[2] == ROOT_STACK_TYPE:
            parent = None
        deps = sorted({self.engine_urn.get(d, d) for d in getattr(request, "dependencies", [])})
        type_ = request.type
        self.captured[engine] = Resource(
            urn=engine, type=type_, name=request.name, custom=custom, parent=parent,
            provider=self._ref(request.provider), dependencies=tuple(deps), inputs=redact(inputs), id=None)

    def _thread_loop(self) -> None:
        """An event loop for the SDK's executor thread this call runs in. The SDK's own helper makes one
        per thread and never closes it; these are closed by ``close_loops`` at the end of the run (a
        closed one found in a reused thread is replaced), so none is left to the garbage collector."""
        try:
            if not asyncio.get_event_loop().is_closed():
                return
        except RuntimeError:  # this thread has none yet
            pass
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        with self._loops_lock:
            self._loops.append(loop)

    def close_loops(self) -> None:
        with self._loops_lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            loop.close()

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        self._thread_loop()
        return super().Invoke(request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        mock, engine, _ = self._names(request.parent, request.type, request.name)
        if request.type == ROOT_STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=mock)
        self._thread_loop()
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        custom = bool(request.custom)
        id_ = f"{ID_PREFIX}{engine}>" if custom else ""
        state = dict(inputs)
        self._record(request, engine, inputs, custom, None)
        obj = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[mock] = pm.MockMonitor.ResourceRegistration(mock, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=mock, id=id_, object=obj)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802
        mock, engine, _ = self._names(request.parent, request.type, request.name)
        self._thread_loop()
        state = rpc.deserialize_properties(request.properties)
        id_, state = self.mocks.new_resource(pm.MockResourceArgs(
            typ=request.type, name=request.name, inputs=state, provider=request.provider,
            resource_id=request.id))
        # The engine stores a StackReference with its name as input; its outputs are the other stack's.
        self._record(request, engine, {"name": request.id}, True, None)
        obj = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[mock] = pm.MockMonitor.ResourceRegistration(mock, id_ or "", state)
        return resource_pb2.ReadResourceResponse(urn=mock, properties=obj)


def _reset() -> None:
    settings.set_root_resource(None)  # type: ignore[arg-type]
    settings.SETTINGS.rpc_manager.clear()


def capture(stack: str, program: Callable[[], dict[str, Any]], references: dict[str, dict[str, Any]] | None = None,
            project: str = PROJECT) -> StackGraph:
    """Run ``program`` (which registers resources and returns the stack outputs) under mocks; the whole graph.

    ``references`` maps StackReference names to the referenced stacks' outputs.
    """
    started = time.perf_counter()
    # A fresh event loop per run: nothing (executor threads, self-pipe) outlives it or leaks into a fork.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    _reset()
    mocks = _Mocks(references or {})
    monitor = CaptureMonitor(mocks, stack, project)
    logger = logging.getLogger(f"govctl.stacks.{stack}")
    pm.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor, logger=logger)
    holder: dict[str, Any] = {}

    def run() -> None:
        holder["outputs"] = program()

    try:
        _sync_await(run_pulumi_func(run))
        # Every registration has finished, so the outputs resolve without waiting on anything else.
        from pulumi import Output

        outputs = {}
        for key, value in (holder.get("outputs") or {}).items():
            out = Output.from_input(value)
            # Awaiting an Output unwraps secrets: ask whether it is one before keeping its value.
            outputs[key] = SECRET if _sync_await(out.is_secret()) else _sync_await(out.future())
    except ProgramError as exc:
        if str(exc).startswith("stack '"):
            raise
        raise ProgramError(f"stack '{stack}': {exc}") from exc
    except Exception as exc:  # a program bug: name the stack and the last resource registered
        last = next(reversed(monitor.captured), None) if monitor.captured else None
        where = f" (last registered: {last})" if last else ""
        raise ProgramError(f"stack '{stack}': program failed{where}: {type(exc).__name__}: {exc}") from exc
    finally:
        _reset()
        monitor.close_loops()
        asyncio.set_event_loop(None)
        loop.close()
    return StackGraph(stack=stack, project=project, resources=dict(sorted(monitor.captured.items())),
                      outputs=redact(outputs or {}), seconds=time.perf_counter() - started)
