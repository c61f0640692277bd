# Source this file (bash or sh) to put govctl's engine on PATH:
#     . tools/engine/env.sh
# It builds nothing: run tools/engine/build.sh first (a cached build answers in well under a second).
# With GOVCTL_ENGINE=system it leaves PATH alone and only checks the `pulumi` already there.
_govctl_engine_dir=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
if _govctl_engine_line=$("$_govctl_engine_dir/build.sh" --env); then
  eval "$_govctl_engine_line"
else
  echo "tools/engine/env.sh: engine not on PATH (see the message above)" >&2
fi
unset _govctl_engine_dir _govctl_engine_line
