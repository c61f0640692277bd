"""Stand-in Python language host for the Pulumi CLI (govctl, tools/engine).

The real `pulumi-language-python` is a Go program in its own module
(github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3), which the Go module proxy
here does not serve. This file speaks the same gRPC protocol (pulumirpc.LanguageRuntime, with the
stubs that ship in the `pulumi` Python package) and runs programs exactly as the Go host does:
through the SDK's own `pulumi-language-python-exec`, with PULUMI_CONFIG and
PULUMI_CONFIG_SECRET_KEYS in the environment.

What it implements: Handshake, GetPluginInfo, GetRequiredPackages/GetRequiredPlugins (empty: the
engine then loads providers on demand, the built plugins being on PATH), Run, RunPlugin (Python
policy packs: `pulumi preview --policy-pack DIR`), About, GetProgramDependencies,
InstallDependencies (a no-op: govctl installs its Python dependencies itself).
Everything else answers UNIMPLEMENTED, which the CLI treats as "not supported".

Python used for programs: PULUMI_PYTHON_CMD, else a `virtualenv` runtime option's bin/python,
else the interpreter running this host.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from concurrent import futures
from importlib import metadata

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_MSG = 400 * 1024 * 1024


def _version() -> str:
    try:
        return metadata.version("pulumi")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _exec_script() -> str:
    for cand in (
        os.path.join(HERE, "..", "bin", "pulumi-language-python-exec"),
        os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "pulumi-language-python-exec"),
    ):
        if os.path.isfile(cand):
            return os.path.abspath(cand)
    from shutil import which

    found = which("pulumi-language-python-exec")
    if not found:
        raise RuntimeError("pulumi-language-python-exec not found next to the language host or on PATH")
    return found


def _python(info) -> str:
    if os.environ.get("PULUMI_PYTHON_CMD"):
        return os.environ["PULUMI_PYTHON_CMD"]
    opts = {}
    if info is not None and info.HasField("options"):
        opts = dict(info.options)
    venv = opts.get("virtualenv")
    if venv:
        if not os.path.isabs(venv):
            venv = os.path.join(info.root_directory or os.getcwd(), venv)
        py = os.path.join(venv, "bin", "python")
        if os.path.exists(py):
            return py
    return sys.executable


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str):
        self.engine_address = engine_address
        self._children: set[subprocess.Popen] = set()
        self._lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------
    def Handshake(self, request, context):
        if request.engine_address:
            self.engine_address = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=_version())

    def GetRequiredPlugins(self, request, context):
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request, context):
        return language_pb2.GetRequiredPackagesResponse()

    def InstallDependencies(self, request, context):
        yield language_pb2.InstallDependenciesResponse(
            stdout=b"govctl engine: dependencies are installed by govctl (pip), nothing to do\n"
        )

    def About(self, request, context):
        py = _python(request.info if request.HasField("info") else None)
        ver = subprocess.run([py, "--version"], capture_output=True, text=True).stdout.strip()
        return language_pb2.AboutResponse(executable=py, version=ver.replace("Python ", ""))

    def GetProgramDependencies(self, request, context):
        deps = []
        for dist in metadata.distributions():
            name = dist.metadata.get("Name") or ""
            if name.lower().startswith("pulumi"):
                deps.append(language_pb2.DependencyInfo(name=name, version=dist.version))
        deps.sort(key=lambda d: d.name.lower())
        return language_pb2.GetProgramDependenciesResponse(dependencies=deps)

    def Cancel(self, request, context):
        with self._lock:
            for p in list(self._children):
                p.terminate()
        return empty_pb2.Empty()

    # -- running programs -------------------------------------------------------------------------
    def Run(self, req, context):
        info = req.info if req.HasField("info") else None
        pwd = (info.program_directory if info and info.program_directory else "") or req.pwd or os.getcwd()
        root = (info.root_directory if info and info.root_directory else "") or pwd
        program = (info.entry_point if info and info.entry_point else "") or req.program or "."
        args = [_python(info), "-u", _exec_script()]
        for flag, value in (
            ("monitor", req.monitor_address),
            ("engine", self.engine_address),
            ("project", req.project),
            ("stack", req.stack),
            ("pwd", pwd),
            ("dry_run", "true" if req.dryRun else "false"),
            ("parallel", str(req.parallel)),
            ("organization", req.organization),
            ("root_directory", root),
        ):
            if value:
                args += ["--" + flag, value]
        args.append(program)
        args += list(req.args)
        env = dict(os.environ)
        env["PULUMI_CONFIG"] = json.dumps(dict(req.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(req.configSecretKeys))
        try:
            proc = subprocess.Popen(args, env=env, cwd=pwd)
        except OSError as e:
            return language_pb2.RunResponse(error=f"could not run the Python program: {e}")
        with self._lock:
            self._children.add(proc)
        rc = proc.wait()
        with self._lock:
            self._children.discard(proc)
        if rc == 0:
            return language_pb2.RunResponse()
        if rc == 32:  # the exec script already showed the user an actionable message
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {rc}")

    def RunPlugin(self, req, context):
        info = req.info if req.HasField("info") else None
        program = (info.program_directory if info and info.program_directory else "") or req.program
        env = dict(os.environ)
        for kv in req.env:
            k, _, v = kv.partition("=")
            env[k] = v
        proc = subprocess.Popen(
            [_python(info), "-u", program, *req.args],
            cwd=req.pwd or None,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        q: queue.Queue = queue.Queue()

        def pump(stream, kind):
            for chunk in iter(lambda: stream.read1(65536), b""):
                q.put((kind, chunk))
            q.put((kind, None))

        for s, k in ((proc.stdout, "stdout"), (proc.stderr, "stderr")):
            threading.Thread(target=pump, args=(s, k), daemon=True).start()
        open_streams = 2
        while open_streams:
            kind, chunk = q.get()
            if chunk is None:
                open_streams -= 1
            else:
                yield language_pb2.RunPluginResponse(**{kind: chunk})
        yield language_pb2.RunPluginResponse(exitcode=proc.wait())


def main(argv: list[str]) -> int:
    # The CLI starts language hosts as `pulumi-language-python [flags ...] ENGINE_ADDRESS`: the
    # engine address comes last (flags such as `-tracing X` may take a separate value).
    engine = argv[-1] if argv and not argv[-1].startswith("-") else ""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16),
        options=[("grpc.max_receive_message_length", MAX_MSG), ("grpc.max_send_message_length", MAX_MSG)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageHost(engine), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    # The CLI ends plugins with SIGINT (then SIGKILL) when it is done with them: stop quietly.
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
