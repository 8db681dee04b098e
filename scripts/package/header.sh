#!/bin/sh
# SeaweedMQ Kafka Gateway @VERSION@, one self-extracting executable (Deno runtime + code + npm modules).
# The first start unpacks it into $KGW_HOME/package/@ID@ (KGW_HOME defaults to ~/.cache/kgw); later starts
# reuse that copy. Then it runs the gateway with scoped permissions: network, read/write of the data directory
# ($KGW_DATA_DIR, default ./data), read of the config file ($KGW_CONFIG, default ./gateway.json), of the
# directory of security files ($KGW_CONFIG_DIR, default ./config: TLS certificates and keys, --sasl-users, JWKS)
# and of the unpacked package. Flags are passed to the gateway: `./kafka-gateway.run --help`.
set -eu
id=@ID@
home=${KGW_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kgw}/package/$id
if [ ! -f "$home/.complete" ]; then
  tmp="$home.unpacking.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  tail -n +@LINES@ "$0" | gzip -dc | tar -xf - -C "$tmp"
  touch "$tmp/.complete"
  # Another start may have unpacked it meanwhile: keep whichever finished first.
  if [ -f "$home/.complete" ]; then rm -rf "$tmp"; else rm -rf "$home" && mv "$tmp" "$home"; fi
fi
data=${KGW_DATA_DIR:-./data}
config=${KGW_CONFIG:-./gateway.json}
config_dir=${KGW_CONFIG_DIR:-./config}
export DENO_DIR="$home/deno_dir"
export DENO_NO_UPDATE_CHECK=1
# glibc keeps one malloc arena per thread that ever allocated: with Deno's worker threads the freed memory of
# large short-lived buffers stays resident (RSS climbed ~110 MiB in a 60 s fuzz run, JS heap flat); two arenas keep
# RSS flat at the same speed.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec "$home/deno" run --cached-only --no-prompt --v8-flags=--max-semi-space-size=8,--initial-old-space-size=64 --allow-net "--allow-read=$data,$config,$config_dir,$home" \
  "--allow-write=$data" --allow-env --allow-ffi --allow-sys "$home/app/main.ts" "$@"
