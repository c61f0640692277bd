#!/bin/sh
# Forced command of one lab router's sshd (sshd_config ForceCommand), for every router lab (labs/core.py).
# An SSH login lands in this router's FRR the way a vtysh-only account does on a real FRR box, plus the
# few host-side tools a NAPALM-style driver needs there: apply (a vtysh file computed by the controller),
# frr-reload (compare / commit / commit-confirm where the controller has no frr-reload of its own), ping.
# $1: the router's FRR pathspace (-N), which is also its namespace's name. The client's command is in
# $SSH_ORIGINAL_COMMAND.
# "--enter NS" instead: this sshd runs outside the router's namespace (the cutover lab keeps every sshd
# on an out-of-band management namespace, since no management address may land in a router's own table:
# it redistributes connected routes into the VPN), so the login enters the router's namespace first.
set -u
if [ "${1:-}" = "--enter" ]; then
    exec ip netns exec "$2" /bin/sh "$0" "$2"
fi
N="$1"
RUN="/var/run/frr/$N"
CMD="${SSH_ORIGINAL_COMMAND:-}"
RELOAD="python3 /usr/lib/frr/frr-reload.py --pathspace $N --confdir /etc/frr"

candidate() {
    f="$RUN/candidate.$$"
    cat > "$f"
    echo "$f"
}

cancel_revert() {
    if [ -f "$RUN/revert.pid" ]; then
        kill "$(cat "$RUN/revert.pid")" 2>/dev/null
        rm -f "$RUN/revert.pid"
    fi
}

apply() {
    # one vtysh session applies the whole delta the controller computed (deletions first); a second
    # persists it the way frr-reload --reload does and shows the result, so the controller can
    # check it without asking again
    f=$(candidate)
    vtysh -N "$N" -f "$f" 2>&1
    rc=$?
    rm -f "$f"
    echo "!--- running-config after apply ---"
    vtysh -N "$N" -c "write memory" -c "show running-config" 2>/dev/null | sed -n '/^frr version/,$p'
    return $rc
}

save_revert() {
    vtysh -N "$N" -c "show running-config" | sed -n '/^frr version/,$p' | grep -v '^end$' > "$RUN/revert.conf"
}

arm_revert() {
    ( sleep "$1" && $RELOAD --reload "$RUN/revert.conf" >/dev/null 2>&1; rm -f "$RUN/revert.pid" ) \
        </dev/null >/dev/null 2>&1 &
    echo $! > "$RUN/revert.pid"
}

case "$CMD" in
"")
    exec vtysh -N "$N"
    ;;
"frr-reload --test"|"frr-reload --reload")
    f=$(candidate)
    $RELOAD "${CMD#frr-reload }" "$f" 2>&1
    rc=$?
    rm -f "$f"
    exit $rc
    ;;
"frr-reload --reload --revert-in "[0-9]*)
    # commit-confirm: unless "confirm" arrives in time, the router restores the config it had
    # before this commit on its own, so a change that cuts management off heals itself.
    secs=${CMD##* }
    case "$secs" in *[!0-9]*) echo "bad revert timer" >&2; exit 2 ;; esac
    cancel_revert
    save_revert
    f=$(candidate)
    $RELOAD --reload "$f" 2>&1
    rc=$?
    rm -f "$f"
    arm_revert "$secs"
    exit $rc
    ;;
"apply")
    apply
    exit $?
    ;;
"apply --revert-in "[0-9]*)
    secs=${CMD##* }
    case "$secs" in *[!0-9]*) echo "bad revert timer" >&2; exit 2 ;; esac
    cancel_revert
    save_revert
    apply
    rc=$?
    arm_revert "$secs"
    exit $rc
    ;;
"confirm")
    cancel_revert
    exit 0
    ;;
"startup")
    # the startup config: what `write memory` saved and a restart of this router loads
    cat "/etc/frr/$N/frr.conf"
    exit $?
    ;;
"ping6 "*)
    # ping6 SRC DST [DST...]: one line per destination, "DST ok" or "DST fail"; either address family
    # (the PE-side probes of a cutover are mostly IPv4)
    set -- $CMD
    shift
    src="$1"
    shift
    for a in "$src" "$@"; do
        case "$a" in *[!0-9a-fA-F:.]*|"") echo "bad address" >&2; exit 2 ;; esac
    done
    for dst in "$@"; do
        case "$dst" in *:*) fam=-6 ;; *) fam=-4 ;; esac
        ( if ping "$fam" -n -q -c 2 -i 0.2 -W 1 -I "$src" "$dst" >/dev/null 2>&1; then echo "$dst ok"; else echo "$dst fail"; fi ) &
    done
    wait
    exit 0
    ;;
*)
    exec vtysh -N "$N" -c "$CMD"
    ;;
esac
