#!/usr/bin/env bash
# Build the Pulumi engine from source at the versions pinned in tools/engine/versions.env, into a
# versioned cache outside the repository:  ${GOVCTL_ENGINE_CACHE:-$HOME/.cache/govctl/engine}/<hash>/bin
#   pulumi                      the CLI (github.com/pulumi/pulumi/pkg/v3 cmd/pulumi, Go module proxy)
#   pulumi-language-python      the Go Python language host (vendor archive, see README.md)
#   pulumi-resource-openstack   the OpenStack provider plugin (vendor archive, see README.md)
#   pulumi-language-python-exec, pulumi-resource-pulumi-python   scripts from the SDK module
#
#   tools/engine/build.sh                   build (or report the cached build: well under a second)
#   tools/engine/build.sh --force           rebuild even if cached
#   tools/engine/build.sh --env             print the shell line that puts the engine on PATH (no build)
#   tools/engine/build.sh --bundle FILE     build if needed, then write FILE (.tar.gz: the binaries and SHA256SUMS)
#   tools/engine/build.sh --from-bundle FILE
#                                           install a bundle into the cache (no Go, no network; checks SHA256SUMS)
#   GOVCTL_ENGINE=system tools/engine/build.sh
#                                           build nothing: check that the `pulumi` on PATH is new enough
#
# GOVCTL_ENGINE_SRC: the directory holding the two source archives named in versions.env (default:
# ../shared/vendor next to the repository, when it exists); their sha256 must match versions.env.
# Writes nothing into the repository. Needs Go (1.25.11 or newer) and the Go module proxy to build.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VERSIONS_FILE="$HERE/versions.env"
T_START=$(date +%s.%N)
MODE=build
FILE=""
usage() { sed -n '2,20p' "$0"; }
case "${1:-}" in
  "") ;;
  --force) MODE=force ;;
  --env) MODE=env ;;
  --bundle|--from-bundle)
    [ -n "${2:-}" ] || { echo "build.sh: $1 needs a FILE argument" >&2; exit 2; }
    MODE=${1#--}; FILE=$2; shift ;;
  -h|--help) usage; exit 0 ;;
  *) echo "build.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "build.sh: too many arguments (try --help)" >&2; exit 2; }

# shellcheck source=versions.env
set -a; . "$VERSIONS_FILE"; set +a

ENV_EXTRA='export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true'

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { printf "%.*f", d, b - a }'; }
log() { echo "engine: $*"; }
die() { echo "engine: error: $*" >&2; exit 1; }
version_ge() { # version_ge A B: A >= B (dotted numbers, optional leading v)
  [ "$(printf '%s\n%s\n' "${1#v}" "${2#v}" | sort -V | head -n1)" = "${2#v}" ]
}

# --- use the official / already installed binaries ------------------------------------------------
if [ "${GOVCTL_ENGINE:-build}" = system ]; then
  case $MODE in bundle|from-bundle) die "--$MODE builds or installs the engine: unset GOVCTL_ENGINE=system" ;; esac
  [ "$MODE" = env ] && exec 3>&2 || exec 3>&1  # --env: stdout is for the shell line only
  log() { echo "engine: $*" >&3; }
  command -v pulumi >/dev/null 2>&1 || die "GOVCTL_ENGINE=system but no 'pulumi' on PATH"
  have=$(pulumi version 2>/dev/null | tr -d '[:space:]')
  version_ge "$have" "$PULUMI_PYTHON_SDK" || die "system pulumi $have is older than the Python SDK ($PULUMI_PYTHON_SDK)"
  log "using system pulumi $have at $(command -v pulumi) (GOVCTL_ENGINE=system; nothing built)"
  for p in pulumi-language-python pulumi-resource-openstack; do
    command -v "$p" >/dev/null 2>&1 || log "note: $p not on PATH (the CLI may still find it in \$PULUMI_HOME/plugins)"
  done
  [ "$MODE" = env ] && echo "$ENV_EXTRA"
  exit 0
fi

# --- the versioned cache --------------------------------------------------------------------------
hash=$(cat "$VERSIONS_FILE" "$HERE/build.sh" | sha256sum | cut -c1-16)
CACHE_ROOT=${GOVCTL_ENGINE_CACHE:-$HOME/.cache/govctl/engine}
DEST="$CACHE_ROOT/$hash"
BIN="$DEST/bin"
BINARIES="pulumi pulumi-language-python pulumi-resource-openstack pulumi-language-python-exec pulumi-resource-pulumi-python"

if [ "$MODE" = env ]; then
  [ -f "$DEST/.complete" ] || die "not built yet for these versions; run $HERE/build.sh (or --from-bundle FILE)"
  echo "export PATH=\"$BIN:\$PATH\"; $ENV_EXTRA"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
# One build or install per hash at a time: a second caller waits, then finds the cache complete.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/$hash.lock"
  flock 9
  # left behind by a build or install that was killed (this hash only; the lock is ours)
  rm -rf "$DEST".tmp.* "$DEST".old.*
fi

STAGE=""
cleanup() { [ -z "$STAGE" ] || rm -rf "$STAGE"; }
trap cleanup EXIT

# publish STAGE as DEST (atomically: a reader sees the old complete build or the new one)
publish() {
  local old="$DEST.old.$$"
  touch "$STAGE/.complete"
  if [ -e "$DEST" ]; then mv -T "$DEST" "$old"; fi
  mv -T "$STAGE" "$DEST"
  STAGE=""
  rm -rf "$old"
}

# replace or add the line starting with KEY in the manifest (atomically)
manifest_set() {
  local key=$1 line=$2 m="$DEST/manifest.txt"
  { grep -v "^$key" "$m" 2>/dev/null || true; echo "$line"; } > "$m.tmp.$$" && mv -f "$m.tmp.$$" "$m"
}

# --- install from a bundle (no Go, no network) ----------------------------------------------------
if [ "$MODE" = from-bundle ]; then
  [ -f "$FILE" ] || die "bundle not found: $FILE"
  STAGE="$DEST.tmp.$$"
  rm -rf "$STAGE"; mkdir -p "$STAGE/x"
  tar -xzf "$FILE" -C "$STAGE/x" || die "cannot unpack $FILE"
  top=$(find "$STAGE/x" -mindepth 1 -maxdepth 1)
  [ "$(echo "$top" | wc -l)" = 1 ] && [ -f "$top/SHA256SUMS" ] || die "$FILE is not an engine bundle (no <dir>/SHA256SUMS inside)"
  if ! out=$(cd "$top" && sha256sum --strict -c SHA256SUMS 2>&1); then
    echo "$out" | grep -v ': OK$' >&2
    die "$FILE: SHA256SUMS check failed (lines above); the bundle is damaged or was changed"
  fi
  unlisted=$(cd "$top" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | while read -r f; do
    awk -v f="$f" '{ sub(/^\*/, "", $2) } $2 == f { found = 1 } END { exit !found }' SHA256SUMS || echo "$f"; done)
  [ -z "$unlisted" ] || die "$FILE: files not in SHA256SUMS: $unlisted"
  for b in $BINARIES; do [ -x "$top/bin/$b" ] || die "$FILE: bin/$b missing"; done
  if ! cmp -s "$top/versions.env" "$VERSIONS_FILE"; then
    diff "$top/versions.env" "$VERSIONS_FILE" >&2 || true
    die "$FILE was built for other pins than $VERSIONS_FILE (diff above: < bundle, > here)"
  fi
  (cd "$top" && find . -mindepth 1 -maxdepth 1 -exec mv -t "$STAGE" {} +)
  rm -rf "$STAGE/x" "$STAGE/SHA256SUMS"
  echo "installed from bundle $(basename "$FILE") on $(date -u +%Y-%m-%dT%H:%MZ) in $(secs "$T_START" "$(now)") s (SHA256SUMS verified)" >> "$STAGE/manifest.txt"
  publish
  log "installed $FILE into $BIN in $(secs "$T_START" "$(now)") s (SHA256SUMS verified)"
  log "to use it: export PATH=\"$BIN:\$PATH\"   (or: eval \"\$($HERE/build.sh --env)\")"
  exit 0
fi

# --- write a bundle of a complete build -----------------------------------------------------------
make_bundle() {
  local t0 tmp top="govctl-engine-$hash" out
  t0=$(now)
  out=$(cd "$(dirname "$FILE")" && pwd)/$(basename "$FILE")
  tmp=$(mktemp -d)
  mkdir -p "$tmp/$top/src/engine"
  cp -a "$BIN" "$DEST/manifest.txt" "$DEST/versions.env" "$tmp/$top/"
  cp -a "$DEST/src/engine/go.mod" "$DEST/src/engine/go.sum" "$tmp/$top/src/engine/"
  (cd "$tmp/$top" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tmp" -cf - "$top" \
    | gzip -n > "$out.tmp.$$"
  mv -f "$out.tmp.$$" "$out"
  rm -rf "$tmp"
  log "bundle $out: $(du -h "$out" | cut -f1) ($(stat -c %s "$out") bytes) in $(secs "$t0" "$(now)") s"
  log "install it elsewhere with: tools/engine/build.sh --from-bundle $(basename "$out")"
}

if [ "$MODE" != force ] && [ -f "$DEST/.complete" ]; then
  t=$(secs "$T_START" "$(now)" 3)
  manifest_set "cached check:" "cached check: $t s ($(date -u +%Y-%m-%dT%H:%MZ): build.sh found this build complete)"
  log "cached at $BIN (checked in $t s)"
  sed 's/^/engine:   /' "$DEST/manifest.txt"
  [ "$MODE" = bundle ] && make_bundle
  log "to use it: export PATH=\"$BIN:\$PATH\""
  exit 0
fi

# --- the source archives ---------------------------------------------------------------------------
if [ -n "${GOVCTL_ENGINE_SRC:-}" ]; then
  SRC=$GOVCTL_ENGINE_SRC
elif [ -d "$REPO/../shared/vendor" ]; then
  SRC=$(cd "$REPO/../shared/vendor" && pwd)
else
  die "no source archives: set GOVCTL_ENGINE_SRC to the directory holding $PULUMI_LANGUAGE_PYTHON_ARCHIVE and $PULUMI_OPENSTACK_ARCHIVE (default $REPO/../shared/vendor does not exist; tools/engine/README.md says where to get them)"
fi
# check_archive NAME SHA256 TAR_SHA256: the archive's sha256 (or, recompressed, its tar's) must match
check_archive() {
  local f="$SRC/$1" gz tar
  [ -f "$f" ] || die "archive $f: missing (expected sha256 $2, actual: no such file; see tools/engine/README.md)"
  gz=$(sha256sum < "$f" | cut -c1-64)
  [ "$gz" = "$2" ] && return 0
  tar=$(gzip -dc < "$f" 2>/dev/null | sha256sum | cut -c1-64) || tar="none (not a clean gzip stream)"
  if [ "$tar" = "$3" ]; then log "note: $f is recompressed; its tar matches the pinned sha256 $3"; return 0; fi
  die "archive $f: sha256 mismatch: expected $2, actual $gz (uncompressed tar: expected $3, actual $tar)"
}
check_archive "$PULUMI_LANGUAGE_PYTHON_ARCHIVE" "$PULUMI_LANGUAGE_PYTHON_SHA256" "$PULUMI_LANGUAGE_PYTHON_TAR_SHA256"
check_archive "$PULUMI_OPENSTACK_ARCHIVE" "$PULUMI_OPENSTACK_SHA256" "$PULUMI_OPENSTACK_TAR_SHA256"

# --- toolchain ------------------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; export PATH
  else die "no 'go' on PATH and no /usr/local/go/bin/go (or install a bundle: build.sh --from-bundle FILE)"; fi
fi
command -v python3 >/dev/null 2>&1 || die "python3 is needed (to read go.mod files as JSON)"
export CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"
export GOMAXPROCS=${GOMAXPROCS:-2}
BUILD_P=${GOVCTL_ENGINE_BUILD_P:-2}
# builds run at low priority (the machine is shared); GOVCTL_ENGINE_NICE=0 to not lower it
renice -n "${GOVCTL_ENGINE_NICE:-10}" -p $$ >/dev/null 2>&1 || true

STAGE="$DEST.tmp.$$"
rm -rf "$STAGE"
mkdir -p "$STAGE/bin" "$STAGE/src/engine" "$STAGE/tmp"
cp "$VERSIONS_FILE" "$STAGE/versions.env"
MANIFEST="$STAGE/manifest.txt"
GOCACHE_DIR=$(go env GOCACHE)
GOMODCACHE_DIR=$(go env GOMODCACHE)
mb() { if [ -d "$1" ]; then du -sm "$1" 2>/dev/null | cut -f1; else echo 0; fi; }
MODMB=$(mb "$GOMODCACHE_DIR"); BUILDMB=$(mb "$GOCACHE_DIR")
CACHES="module cache $MODMB MB, build cache $BUILDMB MB"
if [ "$MODMB" -lt 50 ] && [ "$BUILDMB" -lt 50 ]; then TEMP=cold; else TEMP=warm; fi

log "building into $DEST ($(go version | cut -d' ' -f3), GOMAXPROCS=$GOMAXPROCS, -p $BUILD_P)"
log "Go caches at start: $CACHES ($TEMP); GOPROXY=$(go env GOPROXY)"

# --- sources: the two archives, unpacked, and one wrapper module for all three binaries -------------
HOST="$STAGE/src/pulumi-language-python"
PROV="$STAGE/src/pulumi-openstack/provider"
unpack() { # unpack ARCHIVE SUBDIR DEST: DEST = SUBDIR of the archive's single top directory
  local tmp="$STAGE/tmp/unpack" top
  rm -rf "$tmp"; mkdir -p "$tmp"
  tar -xzf "$SRC/$1" -C "$tmp"
  top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d)
  [ -d "$top/$2" ] || die "archive $1 has no $2"
  mkdir -p "$(dirname "$3")"
  mv "$top/$2" "$3"
  cp "$top/LICENSE" "$3/LICENSE"
  rm -rf "$tmp"
}
unpack "$PULUMI_LANGUAGE_PYTHON_ARCHIVE" sdk/python/cmd/pulumi-language-python "$HOST"
unpack "$PULUMI_OPENSTACK_ARCHIVE" provider "$PROV"
# the host's go.mod points at its monorepo (../../../../pkg, ../../..): require the released modules
(cd "$HOST" && go mod edit -dropreplace github.com/pulumi/pulumi/pkg/v3 -dropreplace github.com/pulumi/pulumi/sdk/v3 \
  -require "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_LANGUAGE_PYTHON_VERSION" \
  -require "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_LANGUAGE_PYTHON_VERSION")

log "fetching github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION (go.mod, for its replace directives)"
if ! PKG_GOMOD=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" 2>&1 | python3 -c 'import json, sys
raw = sys.stdin.read()
try:
    d = json.loads(raw)
except ValueError:
    print(raw.strip() or "no output from go mod download"); sys.exit(1)
if d.get("Error"):
    print(d["Error"]); sys.exit(1)
print(d["GoMod"])'); then
  die "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION: $PKG_GOMOD"
fi

# The wrapper go.mod: requires the CLI's module, the SDK, the host and the provider (these two as local
# replaces), repeats every non-local replace of the three go.mod files (Go ignores replaces outside
# the main module) and adds ENGINE_CLI_REPLACES. go.sum starts from the host's and the provider's.
for f in "$PKG_GOMOD" "$HOST/go.mod" "$PROV/go.mod"; do go mod edit -json "$f"; done > "$STAGE/tmp/gomods.json"
python3 - "$STAGE/tmp/gomods.json" > "$STAGE/src/engine/go.mod" <<PYEOF || die "could not write the wrapper go.mod (message above)"
import json, sys
raw = open(sys.argv[1]).read()
dec, mods, i = json.JSONDecoder(), [], 0
while i < len(raw):
    if raw[i].isspace():
        i += 1; continue
    m, i = dec.raw_decode(raw, i); mods.append(m)
def vkey(v): return tuple(int(x) for x in v.split("."))
go = max((m["Go"] for m in mods), key=vkey)
print("// generated by tools/engine/build.sh: one module for the pulumi CLI, language host and provider")
print("module govctl.invalid/engine\n\ngo %s\n" % go)
print("require (")
for path, v in [("github.com/pulumi/pulumi/pkg/v3", "v$PULUMI_VERSION"), ("github.com/pulumi/pulumi/sdk/v3", "v$PULUMI_VERSION"),
                ("$PULUMI_LANGUAGE_PYTHON_MODULE", "v$PULUMI_LANGUAGE_PYTHON_VERSION"),
                ("$PULUMI_OPENSTACK_MODULE", "v$PULUMI_OPENSTACK_VERSION")]:
    print("\t%s %s" % (path, v))
print(")\n\nreplace (")
print("\t$PULUMI_LANGUAGE_PYTHON_MODULE => ../pulumi-language-python")
print("\t$PULUMI_OPENSTACK_MODULE => ../pulumi-openstack/provider")
seen = {}
for m in mods:
    for r in m.get("Replace") or []:
        old, new = r["Old"], r["New"]
        if not new.get("Version"):
            continue  # a local replace inside the upstream repository (../sdk): not for this build
        lhs = old["Path"] + (" " + old["Version"] if old.get("Version") else "")
        rhs = new["Path"] + " " + new["Version"]
        if lhs in seen and seen[lhs] != rhs:
            sys.exit("conflicting replaces of %s: %s and %s (in %s)" % (lhs, seen[lhs], rhs, m["Module"]["Path"]))
        seen[lhs] = rhs
for spec in "$ENGINE_CLI_REPLACES".split():
    old, new = spec.split("=", 1)
    path, version = new.split("@", 1)
    seen[old] = path + " " + version
for lhs, rhs in seen.items():
    print("\t%s => %s" % (lhs, rhs))
print(")")
PYEOF
cat "$HOST/go.sum" "$PROV/go.sum" | LC_ALL=C sort -u > "$STAGE/src/engine/go.sum"
WRAP="$STAGE/src/engine"

# --- 1. the provider's schema-embed.json (upstream's generate step, compiled in the wrapper module) --
t0=$(now)
log "[generate] upstream's generate.go, compiled in the wrapper module, run as VERSION=$PULUMI_OPENSTACK_VERSION in provider/cmd/pulumi-resource-openstack"
(cd "$WRAP" && go build -p "$BUILD_P" -trimpath -o "$STAGE/tmp/generate" ../pulumi-openstack/provider/cmd/pulumi-resource-openstack/generate.go) \
  || die "[generate] go build of generate.go failed (output above)"
(cd "$PROV/cmd/pulumi-resource-openstack" && VERSION=$PULUMI_OPENSTACK_VERSION "$STAGE/tmp/generate") \
  || die "[generate] generate.go failed"
[ -s "$PROV/cmd/pulumi-resource-openstack/schema-embed.json" ] || die "[generate] no schema-embed.json written"
T_GENERATE=$(secs "$t0" "$(now)")
log "[generate] schema-embed.json in $T_GENERATE s"

# --- 2. resolve every package of the three binaries, check the pins the module graph selected -------
PKG_CLI=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
PKG_HOST=$PULUMI_LANGUAGE_PYTHON_MODULE
PKG_PROV=$PULUMI_OPENSTACK_MODULE/cmd/pulumi-resource-openstack
t0=$(now)
log "[resolve] go list -deps of the three binaries"
(cd "$WRAP" && go list -deps "$PKG_CLI" "$PKG_HOST" "$PKG_PROV" > "$STAGE/tmp/deps.txt") \
  || die "[resolve] go list failed (output above: a module the proxy does not serve is named there)"
for m in github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3; do
  got=$(cd "$WRAP" && go list -m -f '{{.Version}}' "$m")
  [ "$got" = "v$PULUMI_VERSION" ] || die "[resolve] the module graph selects $m $got, not v$PULUMI_VERSION (the host or the provider requires a newer one: raise PULUMI_VERSION in versions.env)"
done
for spec in $ENGINE_CLI_REPLACES; do
  mod=${spec%%=*}
  if (cd "$WRAP" && go list -deps -f '{{with .Module}}{{.Path}}{{end}}' "$PKG_HOST" "$PKG_PROV" | grep -qx "$mod"); then
    die "[resolve] $mod is replaced for the CLI (ENGINE_CLI_REPLACES) but the host or the provider imports it: build them in separate wrappers"
  fi
done
T_RESOLVE=$(secs "$t0" "$(now)")
log "[resolve] $(wc -l < "$STAGE/tmp/deps.txt") packages in $T_RESOLVE s"

SDKDIR=$(cd "$WRAP" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$SDKDIR/python/cmd/pulumi-language-python-exec" "$STAGE/bin/"
install -m 0755 "$SDKDIR/python/dist/pulumi-resource-pulumi-python" "$STAGE/bin/"

# --- 3. the three binaries (one after the other: each time is what that binary added) --------------
VERSION_FLAG="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
TIMES=""
build_bin() { # build_bin NAME PACKAGE LDFLAGS
  local t0 t
  t0=$(now)
  log "[$1] go build $2"
  (cd "$WRAP" && go build -p "$BUILD_P" -trimpath -ldflags "-s -w $3" -o "$STAGE/bin/$1" "$2") \
    || die "[$1] go build failed (output above)"
  t=$(secs "$t0" "$(now)")
  log "[$1] built in $t s, $(stat -c %s "$STAGE/bin/$1") bytes"
  TIMES="$TIMES, $1 $t s"
}
build_bin pulumi "$PKG_CLI" "$VERSION_FLAG"
build_bin pulumi-language-python "$PKG_HOST" "$VERSION_FLAG"
build_bin pulumi-resource-openstack "$PKG_PROV" "-X $PULUMI_OPENSTACK_MODULE/pkg/version.Version=$PULUMI_OPENSTACK_VERSION"

have=$("$STAGE/bin/pulumi" version 2>/dev/null | tr -d '[:space:]')
[ "$have" = "v$PULUMI_VERSION" ] || die "built pulumi reports '$have', not v$PULUMI_VERSION"
version_ge "$PULUMI_VERSION" "$PULUMI_PYTHON_SDK" || die "PULUMI_VERSION $PULUMI_VERSION is older than PULUMI_PYTHON_SDK $PULUMI_PYTHON_SDK"

T_END=$(now)
size() { printf '%-27s %s bytes' "$1" "$(stat -c %s "$STAGE/bin/$1")"; }
{
  echo "govctl engine $hash (tools/engine/versions.env + build.sh)"
  echo "$(size pulumi)  v$PULUMI_VERSION  github.com/pulumi/pulumi/pkg/v3 cmd/pulumi (Go module proxy)"
  echo "$(size pulumi-language-python)  v$PULUMI_LANGUAGE_PYTHON_VERSION  $PULUMI_LANGUAGE_PYTHON_ARCHIVE (commit $PULUMI_LANGUAGE_PYTHON_COMMIT)"
  echo "$(size pulumi-resource-openstack)  $PULUMI_OPENSTACK_VERSION  $PULUMI_OPENSTACK_ARCHIVE (commit $PULUMI_OPENSTACK_COMMIT)"
  echo "pulumi-language-python-exec, pulumi-resource-pulumi-python: scripts of github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION"
  echo "Python packages to pair: pulumi==$PULUMI_PYTHON_SDK pulumi-openstack==$PULUMI_OPENSTACK_VERSION pulumi-policy==$PULUMI_POLICY_VERSION"
  echo "one wrapper module: src/engine/go.mod ($(wc -l < "$STAGE/tmp/deps.txt") packages)"
  # earlier builds of this hash (build.sh --force), oldest first
  grep '^build \|^  times:' "$DEST/manifest.txt" 2>/dev/null || true
  echo "build $(date -u +%Y-%m-%dT%H:%MZ) $TEMP: $(go version | cut -d' ' -f3), GOMAXPROCS=$GOMAXPROCS, -p $BUILD_P, load average at the end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null); Go caches at start: $CACHES"
  echo "  times: generate $T_GENERATE s, resolve $T_RESOLVE s$TIMES, total $(secs "$T_START" "$T_END") s"
} > "$MANIFEST"
rm -rf "$STAGE/tmp"

publish
log "done in $(secs "$T_START" "$T_END") s:"
sed 's/^/engine:   /' "$DEST/manifest.txt"
log "binaries in $BIN"
[ "$MODE" = bundle ] && make_bundle
log "to use it: export PATH=\"$BIN:\$PATH\"   (or: eval \"\$($HERE/build.sh --env)\")"
