// The built-in schema registry in tests: the flag that turns it on (any free port) and its URL, read from the
// gateway's log line "schema registry at http://HOST:PORT/".
import type { RunningGateway } from "./gateway.ts";

export const REGISTRY_ARGS = ["--schema-registry-listen", "127.0.0.1:0"];

export function registryUrl(gw: RunningGateway): string {
  const m = /schema registry at (http:\/\/[^\s/]+)\//.exec(gw.logs());
  if (!m) throw new Error(`no schema registry line in the gateway log:\n${gw.logs()}`);
  return m[1];
}
