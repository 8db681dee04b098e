#!/bin/sh
# Builds one self-extracting executable: the Deno runtime (the one running this task, from npm), the gateway's code
# and the npm modules main.ts needs, behind a small shell header that unpacks it once into a cache directory and
# then execs the gateway with the same scoped permissions as `deno task start`. `deno task compile` is the primary
# path, but its runtime (denort) is downloaded from a host these machines cannot reach; this package needs nothing
# beyond npm at build time and nothing at all at run time.
#
# Usage: deno task package [OUTPUT]   (default dist/kafka-gateway-<version>-<os>-<arch>.run)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
deno_bin=$(deno eval 'console.log(Deno.execPath())')
version=$(deno eval "console.log(JSON.parse(Deno.readTextFileSync('$here/deno.json')).version)")
target=$(deno eval 'console.log(Deno.build.os + "-" + Deno.build.arch)')
out=${1:-$here/dist/kafka-gateway-$version-$target.run}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/app"
cp -R "$here/main.ts" "$here/deno.json" "$here/deno.lock" "$here/src" "$here/proto" "$stage/app/"
cp "$deno_bin" "$stage/deno"
# Only main.ts's module graph: test-only imports (kafkajs, playwright) stay out. The npm cache goes with the
# package (DENO_DIR) so the gateway starts with --cached-only and never reaches for the network.
(cd "$stage/app" && DENO_DIR="$stage/deno_dir" "$deno_bin" install --quiet --entrypoint main.ts)
(cd "$stage/app" && DENO_DIR="$stage/deno_dir" "$deno_bin" cache --quiet main.ts)
printf '%s\n' "$version" > "$stage/VERSION"

payload="$stage.tar.gz"
trap 'rm -rf "$stage" "$payload"' EXIT
(cd "$stage" && tar -cf - .) | gzip -6 > "$payload"
id="$version-$(sha256sum "$payload" | cut -c1-12)"

header="$here/scripts/package/header.sh"
lines=$(($(wc -l < "$header") + 1))
mkdir -p "$(dirname "$out")"
sed -e "s/@ID@/$id/" -e "s/@LINES@/$lines/" -e "s/@VERSION@/$version/" "$header" > "$out.tmp"
cat "$payload" >> "$out.tmp"
chmod +x "$out.tmp"
mv "$out.tmp" "$out"
echo "$out ($(du -h "$out" | cut -f1), id $id)"
