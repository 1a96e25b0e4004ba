#!/usr/bin/env bash
# Postgres backup and point-in-time recovery drill for IER (docs/OPERATIONS.md,
# "Backup and restore"). End to end, on scratch clusters only:
#
#  1. start a scratch primary cluster with WAL archiving (archive_command);
#  2. submit N1 synthetic applications with `ier seed`;
#  3. take a base backup (pg_basebackup);
#  4. submit N2 more; note the time T; submit N3 more; switch WAL so all is archived;
#  5. stop the primary (as if lost), recover the base backup into a fresh data
#     directory on another port, replaying the archive up to T, and promote it;
#  6. `ier verify` the recovered database: exactly N1 + N2 applications, every
#     reference handed out before T present and decryptable, and none of the N3
#     handed out after T.
#
# Usage: scripts/pg-pitr-drill.sh            (env: N1 N2 N3 IER PGBIN PRIMARY_PORT RESTORE_PORT WORK KEEP)
#   IER   the ier binary (default target/release/ier; build it with cargo build --release -p ier)
#   PGBIN Postgres 15 binaries (default /usr/lib/postgresql/15/bin)
#   KEEP=1 keeps the scratch directory and leaves nothing running either way.
# Runs as any user; as root, the clusters run as the `postgres` user (runuser).
# Prints timings as `drill: ...` lines and exits non-zero if any check fails.
set -euo pipefail

N1=${N1:-20000}
N2=${N2:-10000}
N3=${N3:-5000}
IER=$(realpath "${IER:-target/release/ier}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PRIMARY_PORT=${PRIMARY_PORT:-54331}
RESTORE_PORT=${RESTORE_PORT:-54332}
WORK=${WORK:-$(mktemp -d /tmp/ier-pitr.XXXXXX)}

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
psql_at() { "$PGBIN/psql" -X -h 127.0.0.1 -p "$1" -U postgres -d "${3:-ier}" -Atc "$2"; }

[ -x "$IER" ] || { echo "drill: no ier binary at $IER (cargo build --release -p ier)" >&2; exit 1; }
mkdir -p "$WORK/archive"
chmod 755 "$WORK"
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK"

cleanup() {
    for d in primary restored; do
        [ -f "$WORK/$d/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/$d" -m immediate stop >/dev/null 2>&1 || true
    done
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else echo "drill: kept $WORK"; fi
}
trap cleanup EXIT

echo "drill: scratch directory $WORK; N1=$N1 N2=$N2 N3=$N3"

# 1. The primary, archiving every finished WAL segment (copied, then renamed, so a
#    half-copied segment never looks complete; an existing segment is never overwritten).
as_pg "$PGBIN/initdb" -D "$WORK/primary" -U postgres --auth=trust >/dev/null
cat >>"$WORK/primary/postgresql.conf" <<EOF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $WORK/archive/%f && cp %p $WORK/archive/%f.part && mv $WORK/archive/%f.part $WORK/archive/%f'
max_wal_senders = 4
max_wal_size = 4GB
EOF
as_pg "$PGBIN/pg_ctl" -D "$WORK/primary" -l "$WORK/primary.log" -w start >/dev/null
psql_at "$PRIMARY_PORT" "CREATE DATABASE ier" postgres >/dev/null
URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/ier"
KEY=$("$IER" keygen --id drill1)
export IER_DATA_KEYS="$KEY"

# 2. Applications before the base backup.
t=$(now)
"$IER" seed --database-url "$URL" --applications "$N1" --references-out "$WORK/before-target.csv"
echo "drill: seeded N1=$N1 in $(since "$t") s"

# 3. The base backup (a fast checkpoint; WAL streamed alongside so the copy is self-consistent).
t=$(now)
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$WORK/base" -Fp -Xstream -c fast
echo "drill: base backup in $(since "$t") s, $(du -sb "$WORK/base" | cut -f1) bytes"

# 4. More applications, the recovery target, and applications after it.
t=$(now)
"$IER" seed --database-url "$URL" --applications "$N2" --references-out "$WORK/before-target.csv"
echo "drill: seeded N2=$N2 in $(since "$t") s"
sleep 1
TARGET=$(psql_at "$PRIMARY_PORT" "SELECT now()")
sleep 1
"$IER" seed --database-url "$URL" --applications "$N3" --references-out "$WORK/after-target.csv"
echo "drill: recovery target $TARGET; seeded N3=$N3 after it"
SEGMENT=$(psql_at "$PRIMARY_PORT" "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 120); do [ -f "$WORK/archive/$SEGMENT" ] && break; sleep 1; done
[ -f "$WORK/archive/$SEGMENT" ] || { echo "drill: WAL segment $SEGMENT was not archived" >&2; exit 1; }
echo "drill: archive holds $(ls "$WORK/archive" | wc -l) WAL segments, $(du -sb "$WORK/archive" | cut -f1) bytes"

# 5. The primary is lost. Recover into a fresh data directory on another port.
as_pg "$PGBIN/pg_ctl" -D "$WORK/primary" -m immediate stop >/dev/null
t=$(now)
as_pg cp -a "$WORK/base" "$WORK/restored"
cat >>"$WORK/restored/postgresql.conf" <<EOF
port = $RESTORE_PORT
archive_mode = off
restore_command = 'cp $WORK/archive/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
EOF
as_pg touch "$WORK/restored/recovery.signal"
as_pg "$PGBIN/pg_ctl" -D "$WORK/restored" -l "$WORK/restored.log" -w -t 3600 start >/dev/null
for _ in $(seq 1 3600); do
    [ "$(psql_at "$RESTORE_PORT" "SELECT pg_is_in_recovery()" 2>/dev/null || true)" = f ] && break
    sleep 0.5
done
[ "$(psql_at "$RESTORE_PORT" "SELECT pg_is_in_recovery()")" = f ] || { echo "drill: recovery did not finish" >&2; exit 1; }
RECOVERED=$(since "$t")
echo "drill: point-in-time recovery (copy base backup, replay WAL to the target, promote) in $RECOVERED s"
grep -E "recovery stopping|consistent recovery state|selected new timeline" "$WORK/restored.log" | sed 's/^/drill: log: /' || true

# 6. Verify: exactly N1 + N2, every reference from before T, none from after.
RESTORED_URL="postgres://postgres@127.0.0.1:$RESTORE_PORT/ier"
t=$(now)
"$IER" verify --database-url "$RESTORED_URL" --references "$WORK/before-target.csv" --json >"$WORK/verify.json"
echo "drill: verify in $(since "$t") s: $(cat "$WORK/verify.json" | head -c 400)"
EXPECTED=$((N1 + N2))
GOT=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['applications'])" "$WORK/verify.json")
[ "$GOT" = "$EXPECTED" ] || { echo "drill: FAILED: $GOT applications recovered, expected $EXPECTED" >&2; exit 1; }
set +e
"$IER" verify --database-url "$RESTORED_URL" --references "$WORK/after-target.csv" --json >"$WORK/after.json"
code=$?
set -e
AFTER_MISSING=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['references']['missing']))" "$WORK/after.json")
[ "$code" = 3 ] && [ "$AFTER_MISSING" = "$N3" ] || {
    echo "drill: FAILED: of the $N3 applications after the target, $AFTER_MISSING are absent (verify exit $code)" >&2
    exit 1
}
echo "drill: OK: $GOT applications recovered to $TARGET (N1 + N2), all decrypt, every earlier reference present, all $N3 later ones absent"
