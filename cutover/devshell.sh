#!/bin/sh
# Forced command of one cutover-lab router's sshd. The sshd lives on the lab's out-of-band management
# namespace (no management address may land in the router's own table: it redistributes connected
# routes into the VPN), so a login first enters the router's namespace. There it is the rollout lab's
# account (labshell.sh: vtysh, frr-reload compare/commit/commit-confirm), except for the driver's
# "ping6 SRC DST..." request, answered here for either address family: the PE-side probes of a
# cutover are mostly IPv4.
# $1: the router's namespace, which is also its FRR pathspace (-N).
set -u
N="$1"
CMD="${SSH_ORIGINAL_COMMAND:-}"
SHELL_DIR=$(dirname "$0")/../labs/routers
case "$CMD" in
"ping6 "*)
    set -- $CMD
    shift
    src="$1"
    shift
    for a in "$src" "$@"; do
        case "$a" in *[!0-9a-fA-F:.]*|"") echo "bad address" >&2; exit 2 ;; esac
    done
    for dst in "$@"; do
        case "$dst" in *:*) fam=-6 ;; *) fam=-4 ;; esac
        ( if ip netns exec "$N" ping "$fam" -n -q -c 2 -i 0.2 -W 1 -I "$src" "$dst" >/dev/null 2>&1; then
              echo "$dst ok"; else echo "$dst fail"; fi ) &
    done
    wait
    exit 0
    ;;
*)
    exec ip netns exec "$N" /bin/sh "$SHELL_DIR/labshell.sh" "$N"
    ;;
esac
