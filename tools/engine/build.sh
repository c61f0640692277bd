#!/usr/bin/env bash
# Build the Pulumi engine (CLI, Python language host, OpenStack provider plugin) from Go module
# sources at the versions pinned in tools/engine/versions.env, into a versioned cache outside the
# repository:  ${GOVCTL_ENGINE_CACHE:-$HOME/.cache/govctl/engine}/<hash>/bin
#
#   tools/engine/build.sh            build (or report the cached build: well under a second)
#   tools/engine/build.sh --force    rebuild even if cached (e.g. to retry a module not served before)
#   tools/engine/build.sh --env      print the shell line that puts the engine on PATH (no build)
#   GOVCTL_ENGINE=system tools/engine/build.sh
#                                    build nothing: check that the `pulumi` already on PATH (e.g. the
#                                    official binaries) is new enough, and say so
#
# Writes nothing into the repository. Needs Go (>= the go line of the pulumi modules; 1.26 here),
# python3 (to read go.mod as JSON) and the Go module proxy.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSIONS_FILE="$HERE/versions.env"
MODE=build
case "${1:-}" in
  "") ;;
  --force) MODE=force ;;
  --env) MODE=env ;;
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
  *) echo "build.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

# shellcheck source=versions.env
set -a; . "$VERSIONS_FILE"; set +a

ENV_EXTRA='export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true'

version_ge() { # version_ge A B: A >= B (dotted numbers, optional leading v)
  [ "$(printf '%s\n%s\n' "${1#v}" "${2#v}" | sort -V | head -n1)" = "${2#v}" ]
}

# --- use the official / already installed binaries ------------------------------------------------
if [ "${GOVCTL_ENGINE:-build}" = system ]; then
  if ! command -v pulumi >/dev/null 2>&1; then
    echo "engine: GOVCTL_ENGINE=system but no 'pulumi' on PATH" >&2; exit 1
  fi
  have=$(pulumi version 2>/dev/null | tr -d '[:space:]')
  if ! version_ge "$have" "$PULUMI_PYTHON_SDK_MIN"; then
    echo "engine: system pulumi $have is older than the Python SDK ($PULUMI_PYTHON_SDK_MIN)" >&2; exit 1
  fi
  echo "engine: using system pulumi $have at $(command -v pulumi) (GOVCTL_ENGINE=system; nothing built)"
  for p in pulumi-language-python pulumi-resource-openstack; do
    command -v "$p" >/dev/null 2>&1 || echo "engine: note: $p not on PATH (the CLI may still find it in \$PULUMI_HOME/plugins)"
  done
  [ "$MODE" = env ] && echo "$ENV_EXTRA"
  exit 0
fi

# --- the versioned cache --------------------------------------------------------------------------
hash=$(cat "$VERSIONS_FILE" "$HERE/build.sh" "$HERE/langhost.py" | sha256sum | cut -c1-16)
CACHE_ROOT=${GOVCTL_ENGINE_CACHE:-$HOME/.cache/govctl/engine}
DEST="$CACHE_ROOT/$hash"
BIN="$DEST/bin"

if [ "$MODE" = env ]; then
  if [ ! -f "$DEST/.complete" ]; then
    echo "engine: not built yet for these versions; run $HERE/build.sh" >&2; exit 1
  fi
  echo "export PATH=\"$BIN:\$PATH\"; $ENV_EXTRA"
  exit 0
fi

if [ "$MODE" = build ] && [ -f "$DEST/.complete" ]; then
  echo "engine: cached at $BIN"
  sed 's/^/engine:   /' "$DEST/manifest.txt"
  echo "engine: to use it: export PATH=\"$BIN:\$PATH\""
  exit 0
fi

# --- toolchain ------------------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; export PATH
  else echo "engine: no 'go' on PATH and no /usr/local/go/bin/go" >&2; exit 1; fi
fi
command -v python3 >/dev/null 2>&1 || { echo "engine: python3 is needed" >&2; exit 1; }
export CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"
export GOMAXPROCS=${GOMAXPROCS:-2}
BUILD_P=${GOVCTL_ENGINE_BUILD_P:-2}

STAGE="$DEST.tmp.$$"
rm -rf "$STAGE"
mkdir -p "$STAGE/bin" "$STAGE/lib" "$STAGE/src"
trap 'rm -rf "$STAGE"' EXIT
MANIFEST="$STAGE/manifest.txt"
MISSING=()

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
size_of() { du -h "$1" | cut -f1; }
log() { echo "engine: $*"; }

log "building into $DEST ($(go version | cut -d' ' -f3), GOMAXPROCS=$GOMAXPROCS, -p $BUILD_P)"
{
  echo "pulumi CLI       v$PULUMI_VERSION (Python SDK needs >= $PULUMI_PYTHON_SDK_MIN)"
  echo "pulumi-policy    $PULUMI_POLICY_VERSION (PyPI package only; policy packs run through the python language host)"
} > "$MANIFEST"

# download MODULE@VERSION: prints the module's Dir, or (exit 1) the go command's error text
download() {
  go mod download -json "$1" 2>&1 | python3 -c 'import json, sys
raw = sys.stdin.read()
try:
    d = json.loads(raw)
except ValueError:
    print(raw.strip() or "no output from go mod download"); sys.exit(1)
if d.get("Error"):
    print(d["Error"]); sys.exit(1)
print(d["Dir"])'
}

# build_cmd NAME MODULE VERSION PACKAGE LDFLAGS
# Builds PACKAGE (import path) from a wrapper module that requires MODULE@VERSION and repeats the
# module's own non-local replace directives; a local replace (../sdk) becomes a require of that
# module at the same version (the monorepo tags its modules together).
build_cmd() {
  local name=$1 module=$2 version=$3 pkg=$4 ldflags=$5 dir wrap t0 t1
  log "[$name] fetching $module@$version"
  if ! dir=$(download "$module@$version"); then
    log "[$name] NOT BUILT: $module@$version is not available: $dir" >&2
    echo "$name  NOT BUILT: $module@$version not available from the Go module proxy" >> "$MANIFEST"
    MISSING+=("$name")
    return 1
  fi
  wrap="$STAGE/src/$name"
  mkdir -p "$wrap"
  if ! go mod edit -json "$dir/go.mod" | python3 -c '
import json, sys
m = json.load(sys.stdin)
module, version, name = sys.argv[1], sys.argv[2], sys.argv[3]
print("module govctl.invalid/engine/%s\n" % name)
print("go %s\n" % m["Go"])
print("require %s %s" % (module, version))
for r in m.get("Replace") or []:
    old, new = r["Old"], r["New"]
    if new.get("Version"):
        lhs = old["Path"] + (" " + old["Version"] if old.get("Version") else "")
        print("replace %s => %s %s" % (lhs, new["Path"], new["Version"]))
    else:
        print("require %s %s" % (old["Path"], version))
' "$module" "$version" "$name" > "$wrap/go.mod"; then
    log "[$name] NOT BUILT: could not read $dir/go.mod" >&2
    echo "$name  NOT BUILT: could not read its go.mod" >> "$MANIFEST"
    MISSING+=("$name")
    return 1
  fi
  t0=$(now)
  log "[$name] go build $pkg"
  if ! (cd "$wrap" && go build -p "$BUILD_P" -trimpath -ldflags "-s -w $ldflags" -o "$STAGE/bin/$name" "$pkg"); then
    log "[$name] NOT BUILT: go build failed (output above)" >&2
    echo "$name  NOT BUILT: go build failed" >> "$MANIFEST"
    MISSING+=("$name")
    return 1
  fi
  t1=$(now)
  log "[$name] built in $(secs "$t0" "$t1") s, $(size_of "$STAGE/bin/$name")"
  echo "$name  $version  built in $(secs "$t0" "$t1") s  $(size_of "$STAGE/bin/$name")" >> "$MANIFEST"
}

T_ALL=$(now)

# 1. the CLI
PV="v$PULUMI_VERSION"
build_cmd pulumi github.com/pulumi/pulumi/pkg/v3 "$PV" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PV" || exit 1

# 2. the Python language host (+ pulumi-language-python-exec and the dynamic-provider script from the SDK module)
if sdkdir=$(download "github.com/pulumi/pulumi/sdk/v3@$PV"); then
  install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$STAGE/bin/"
  install -m 0755 "$sdkdir/python/dist/pulumi-resource-pulumi-python" "$STAGE/bin/"
else
  log "[sdk] $sdkdir" >&2; exit 1
fi
if ! build_cmd pulumi-language-python "$PULUMI_LANGUAGE_PYTHON_MODULE" "$PV" "$PULUMI_LANGUAGE_PYTHON_MODULE" \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PV"; then
  # Stand-in: a small language host in Python (tools/engine/langhost.py) speaking the same gRPC
  # protocol and running programs through the SDK's pulumi-language-python-exec.
  install -m 0644 "$HERE/langhost.py" "$STAGE/lib/langhost.py"
  cat > "$STAGE/bin/pulumi-language-python" <<'SH'
#!/bin/sh
# govctl stand-in for the Go pulumi-language-python (its module is not served here): see tools/engine/README.md
here=$(cd "$(dirname "$0")" && pwd)
exec "${PULUMI_PYTHON_CMD:-python3}" -u "$here/../lib/langhost.py" "$@"
SH
  chmod 0755 "$STAGE/bin/pulumi-language-python"
  log "[pulumi-language-python] installed the stand-in (tools/engine/langhost.py)"
  echo "pulumi-language-python  stand-in: tools/engine/langhost.py (Go module not served)" >> "$MANIFEST"
fi

# 3. the OpenStack provider plugin
build_cmd pulumi-resource-openstack "$PULUMI_OPENSTACK_MODULE" "v$PULUMI_OPENSTACK_VERSION" \
  "$PULUMI_OPENSTACK_MODULE/cmd/pulumi-resource-openstack" \
  "-X $PULUMI_OPENSTACK_MODULE/pkg/version.Version=v$PULUMI_OPENSTACK_VERSION" || true

T_END=$(now)
echo "total $(secs "$T_ALL" "$T_END") s" >> "$MANIFEST"
if [ ${#MISSING[@]} -gt 0 ]; then
  echo "missing: ${MISSING[*]} (build.sh --force retries)" >> "$MANIFEST"
fi

# publish atomically
rm -rf "$DEST"
mv "$STAGE" "$DEST"
trap - EXIT
touch "$DEST/.complete"
log "done in $(secs "$T_ALL" "$T_END") s:"
sed 's/^/engine:   /' "$DEST/manifest.txt"
log "binaries in $BIN"
log "to use it: export PATH=\"$BIN:\$PATH\"   (or: eval \"\$($HERE/build.sh --env)\")"
if [ ${#MISSING[@]} -gt 0 ]; then
  log "WARNING: not built: ${MISSING[*]} (see above)" >&2
fi
