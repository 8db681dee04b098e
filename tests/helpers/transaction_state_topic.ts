// Reading `__transaction_state` from tests: kcat reads it raw, an independent Python decoder of Kafka's transaction log
// format (tests/helpers/transaction_state_topic.py, no gateway code) decodes it; the same script runs a
// confluent-kafka transactional producer that commits, then aborts.
import { pythonPath } from "./tools.ts";

export const TRANSACTION_STATE_TOPIC = "__transaction_state";
const TOPIC = TRANSACTION_STATE_TOPIC;
const SCRIPT = new URL("./transaction_state_topic.py", import.meta.url).pathname;

export interface TxnValue {
  version: number;
  producer_id: number;
  producer_epoch: number;
  timeout_ms: number;
  status: number;
  state: string;
  partitions: Record<string, number[]> | null;
  last_update_ms: number;
  start_ms: number;
}
export interface TxnRecord {
  p: number;
  o: number;
  ts: number;
  txid: string | null;
  value: TxnValue | null;
  error: string | null;
  key_hex: string | null;
  value_hex: string | null;
}

export async function txnStatePy(args: string[], input?: Uint8Array): Promise<string[]> {
  const child = new Deno.Command(pythonPath(), {
    args: [SCRIPT, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  if (input !== undefined) await w.write(input);
  await w.close();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 120_000);
  const out = await child.output();
  clearTimeout(timer);
  const err = new TextDecoder().decode(out.stderr);
  if (err.includes("Traceback")) throw new Error(`transaction_state_topic.py ${args[0]} crashed:\n${err}`);
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
}

/** Every record of `__transaction_state`, read raw by kcat and decoded by the Python reader. */
export async function dumpTransactionState(bootstrap: string): Promise<TxnRecord[]> {
  const child = new Deno.Command("kcat", {
    args: ["-b", bootstrap, "-C", "-t", TOPIC, "-o", "beginning", "-e", "-f", "%p %o %T %K %S\\n%k%s"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 60_000);
  const out = await child.output();
  clearTimeout(timer);
  if (!out.success) throw new Error(`kcat -C ${TOPIC}: ${new TextDecoder().decode(out.stderr)}`);
  return (await txnStatePy(["decode-kcat"], out.stdout)).map((l) => JSON.parse(l) as TxnRecord);
}

export function showTxnRecords(rs: TxnRecord[]): string {
  return rs.map((r) =>
    `  [${r.p}@${r.o}] ${r.txid} = ${
      r.error ? `UNDECODABLE (${r.error}) ${r.value_hex}` : JSON.stringify(r.value)
    }`
  ).join("\n");
}

/** Drops repeats of a state (an Ongoing transaction grows with each AddPartitionsToTxn). */
export function collapseStates(states: string[]): string[] {
  return states.filter((s, i) => i === 0 || s !== states[i - 1]);
}
