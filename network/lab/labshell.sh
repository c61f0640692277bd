#!/bin/sh
# Forced command of one lab router's sshd (sshd_config ForceCommand). An SSH login lands in this
# router's FRR the way a vtysh-only account does on a real FRR box, plus the few host-side tools a
# NAPALM-style driver needs there: frr-reload (compare / commit / commit-confirm), ping.
# $1: the router's FRR pathspace (-N). The client's command is in $SSH_ORIGINAL_COMMAND.
set -u
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

case "$CMD" in
"")
    exec vtysh -N "$N"
    ;;
"frr-reload --test")
    f=$(candidate)
    $RELOAD --test "$f" 2>&1
    rc=$?
    rm -f "$f"
    exit $rc
    ;;
"frr-reload --reload")
    f=$(candidate)
    $RELOAD --reload "$f" 2>&1
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
    vtysh -N "$N" -c "show running-config" | sed -n '/^frr version/,$p' | grep -v '^end$' > "$RUN/revert.conf"
    f=$(candidate)
    $RELOAD --reload "$f" 2>&1
    rc=$?
    rm -f "$f"
    ( sleep "$secs" && $RELOAD --reload "$RUN/revert.conf" >/dev/null 2>&1; rm -f "$RUN/revert.pid" ) \
        </dev/null >/dev/null 2>&1 &
    echo $! > "$RUN/revert.pid"
    exit $rc
    ;;
"confirm")
    cancel_revert
    exit 0
    ;;
"ping6 "*)
    # ping6 SRC DST [DST...]: one line per destination, "DST ok" or "DST fail"
    set -- $CMD
    shift
    src="$1"
    shift
    for a in "$src" "$@"; do
        case "$a" in *[!0-9a-fA-F:.]*|"") echo "bad address" >&2; exit 2 ;; esac
    done
    for dst in "$@"; do
        ( if ping -6 -n -q -c 2 -i 0.2 -W 1 -I "$src" "$dst" >/dev/null 2>&1; then echo "$dst ok"; else echo "$dst fail"; fi ) &
    done
    wait
    exit 0
    ;;
*)
    exec vtysh -N "$N" -c "$CMD"
    ;;
esac
