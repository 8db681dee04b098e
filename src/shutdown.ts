// Bounded shutdown (docs/operations.md "Stopping"): the gateway's stop is its start stack (the parts its start brought
// up) closed newest first, each part a stage, run in order under one deadline
// (--shutdown-timeout-ms). Each stage is started whatever time is left and waited for at most the remaining budget
// (less what it must leave to the stages after it); one that does not finish in time is abandoned -- the process
// exits without it -- and named in one log line. A stage marked `mustFinish` (local flushes of acknowledged data:
// the embedded log's fsync) is waited for past the deadline; a second SIGINT/SIGTERM cuts even that short (main.ts).
import type { Logger } from "./log.ts";

export interface ShutdownStage {
  /** What the stage does, for the log ("Kafka listener and in-flight requests"). */
  readonly name: string;
  /** What is lost or delayed when it is abandoned (logged with its name). */
  readonly ifUnfinished: string;
  run(): Promise<void> | void;
  /** Waited for even past the deadline (local data that was acknowledged to clients). */
  readonly mustFinish?: boolean;
  /** Stop waiting for this stage when only this many ms of the budget remain (kept for the stages after it). */
  readonly leaveMs?: number;
  /** What it is still waiting for, when abandoned ("2 connections open"). */
  pending?(): string;
}

export interface ShutdownReport {
  /** Whole stop, ms. */
  readonly ms: number;
  /** Names of the stages abandoned at their deadline. */
  readonly unfinished: readonly string[];
  /** Names of the stages that threw. */
  readonly failed: readonly string[];
  /** True when every stage finished without error: the exit code is 0. */
  readonly clean: boolean;
}

type Outcome = { kind: "done" } | { kind: "failed"; error: unknown } | { kind: "timeout" };

function settle(p: Promise<void>): Promise<Outcome> {
  return p.then(() => ({ kind: "done" }), (error) => ({ kind: "failed", error }));
}

function within(p: Promise<Outcome>, ms: number): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "timeout" }), Math.max(0, ms));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `stages` in order so that the stop is over within `timeoutMs` (a little of it, up to 250 ms, is kept for the
 * last log lines and the process exit); logs what failed or did not finish. Never throws.
 */
export async function runShutdown(
  stages: readonly ShutdownStage[],
  timeoutMs: number,
  log: Logger,
): Promise<ShutdownReport> {
  const start = performance.now();
  const deadline = start + timeoutMs - Math.min(250, timeoutMs / 10);
  const unfinished: string[] = [];
  const why: string[] = [];
  const failed: string[] = [];
  for (const stage of stages) {
    const t0 = performance.now();
    const running = settle(Promise.resolve().then(() => stage.run()));
    const budget = deadline - t0 - (stage.leaveMs ?? 0);
    let outcome = await within(running, budget);
    if (outcome.kind === "timeout" && stage.mustFinish) {
      log.warn(
        "shutdown: still waiting for {stage} past the {timeout} ms deadline: it flushes acknowledged data " +
          "to local disk (a second SIGINT/SIGTERM exits at once)",
        { stage: stage.name, timeout: timeoutMs },
      );
      outcome = await running;
    }
    const ms = Math.round(performance.now() - t0);
    if (outcome.kind === "failed") {
      failed.push(stage.name);
      log.error("shutdown: {stage} failed after {ms} ms: {reason}", {
        stage: stage.name,
        ms,
        reason: String((outcome.error as Error)?.message ?? outcome.error),
      });
    } else if (outcome.kind === "timeout") {
      unfinished.push(stage.name);
      const pending = stage.pending?.();
      why.push(`${stage.name} (${pending ? `${pending}: ` : ""}${stage.ifUnfinished})`);
    } else {
      log.debug("shutdown: {stage} done in {ms} ms", { stage: stage.name, ms });
    }
  }
  const ms = Math.round(performance.now() - start);
  if (unfinished.length > 0) {
    log.warn("shutdown: not finished within {timeout} ms (--shutdown-timeout-ms), left undone: {stages}", {
      timeout: timeoutMs,
      stages: why.join("; "),
    });
  }
  return { ms, unfinished, failed, clean: unfinished.length === 0 && failed.length === 0 };
}

/** How a part of the gateway stops (StartStack.add): what its stage of the stop needs besides closing it. */
export interface StopOptions {
  /** What is lost or delayed when its close is abandoned at the deadline (logged with its name). */
  readonly ifUnfinished?: string;
  /** Waited for even past the deadline (local files holding acknowledged data). */
  readonly mustFinish?: boolean;
  /** Budget (ms, given the whole stop's) left to the parts that close after it. */
  readonly leaveMs?: (timeoutMs: number) => number;
  /** What it is still waiting for, when abandoned. */
  readonly pending?: () => string;
}

/**
 * The parts of the gateway, in the order its start brought them up (src/gateway.ts): each is added right after it
 * is up. A failed start closes them newest first (unwind), so that no listener, timer, lease or open file
 * outlives it; the stop closes them in the same order, as stages of the bounded shutdown (stages), so the two
 * cannot disagree about what is open or in which order it closes.
 */
export class StartStack {
  private readonly parts: {
    readonly name: string;
    readonly close: () => unknown;
    readonly opts: StopOptions;
  }[] = [];

  add(name: string, close: () => unknown, opts: StopOptions = {}): void {
    this.parts.push({ name, close, opts });
  }

  /** The parts up so far, oldest first. */
  get names(): string[] {
    return this.parts.map((p) => p.name);
  }

  /** The stop: one stage per part, newest first, for runShutdown under `timeoutMs`. */
  stages(timeoutMs: number): ShutdownStage[] {
    return this.parts.toReversed().map(({ name, close, opts }) => ({
      name,
      ifUnfinished: opts.ifUnfinished ?? "it is cut off",
      run: async () => {
        await close();
      },
      mustFinish: opts.mustFinish,
      leaveMs: opts.leaveMs?.(timeoutMs),
      pending: opts.pending,
    }));
  }

  /** Closes every part, newest first; one that fails to close is logged and the others still close. */
  async unwind(log: Logger): Promise<void> {
    for (let p = this.parts.pop(); p !== undefined; p = this.parts.pop()) {
      try {
        await p.close();
      } catch (e) {
        log.warn("start failed; closing {part} failed too: {reason}", {
          part: p.name,
          reason: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }
}
