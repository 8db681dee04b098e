#!/bin/sh
# CI check of `deno task package`: builds the self-extracting executable, runs it from an empty directory on
# another path (as a user who downloaded it would), round-trips records through it with kcat, stops it with
# SIGTERM and checks it exited cleanly and kept its data in that directory; registers a Protobuf schema in its schema
# registry (the registry's npm modules load from the package) and reads it back. Needs kcat and curl.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
command -v kcat >/dev/null || { echo "package smoke: FAIL: kcat is not installed"; exit 1; }
command -v curl >/dev/null || { echo "package smoke: FAIL: curl is not installed"; exit 1; }

sh "$here/scripts/package/build.sh" "$work/dist/kafka-gateway.run"
mkdir -p "$work/run"
cd "$work/run"
free_port() { deno eval 'const l = Deno.listen({ hostname: "127.0.0.1", port: 0 }); console.log(l.addr.port); l.close()'; }
port=$(free_port)
sr_port=$(free_port)
KGW_HOME="$work/home" "$work/dist/kafka-gateway.run" --listen "127.0.0.1:$port" --http-listen off \
  --schema-registry-listen "127.0.0.1:$sr_port" \
  --exit-with-launcher false >"$work/gateway.log" 2>&1 &
pid=$!
i=0
until kcat -b "127.0.0.1:$port" -L -m 2 >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 60 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "package smoke: FAIL: the packaged gateway did not come up"; cat "$work/gateway.log"; exit 1
  fi
  sleep 0.5
done
seq 1 500 | sed 's/^/record-/' > "$work/sent"
kcat -b "127.0.0.1:$port" -P -t smoke -p 0 -X topic.request.required.acks=all < "$work/sent"
kcat -b "127.0.0.1:$port" -C -t smoke -p 0 -o beginning -e -q > "$work/got"
if ! cmp -s "$work/sent" "$work/got"; then
  echo "package smoke: FAIL: records read back differ ($(wc -l < "$work/got") of $(wc -l < "$work/sent") lines)"
  exit 1
fi
sr="http://127.0.0.1:$sr_port"
ct="content-type: application/vnd.schemaregistry.v1+json"
proto='{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\nmessage Smoke { string id = 1; }\n"}'
registered=$(curl -sS -H "$ct" -d "$proto" "$sr/subjects/smoke-value/versions")
fetched=$(curl -sS "$sr/subjects/smoke-value/versions/latest")
case "$registered $fetched" in
  '{"id":1} '*'message Smoke'*) ;;
  *) echo "package smoke: FAIL: schema registry answered $registered / $fetched"; cat "$work/gateway.log"; exit 1 ;;
esac
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
if [ $rc -ne 0 ]; then echo "package smoke: FAIL: exit code $rc after SIGTERM"; cat "$work/gateway.log"; exit 1; fi
[ -f "$work/run/data/meta.properties" ] || { echo "package smoke: FAIL: no ./data in the run directory"; exit 1; }
echo "package smoke: OK: $(du -h "$work/dist/kafka-gateway.run" | cut -f1) executable, 500 records round-tripped, a schema registered, clean exit on SIGTERM"
