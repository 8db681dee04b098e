// One test module on both storage backends: tests registered per backend, the gateway helper switched to the
// backend at the start of each test (useBackend), a SeaweedFS cluster started only when the first SeaweedMQ test runs
// and stopped by a closing test. A missing weed fails in CI (requireTool) and marks the SeaweedMQ tests ignored
// elsewhere.
import { useBackend } from "./gateway.ts";
import { type SeaweedFS, startSeaweedFS, weedTool } from "./seaweedfs.ts";

export type BackendName = "embedded" | "seaweedmq";

export interface Backend {
  readonly name: BackendName;
  /** True when the backend cannot run here (no weed outside CI). */
  readonly ignore: boolean;
  /** Switches the gateway helper to this backend (starting SeaweedFS on first use). */
  use(): Promise<void>;
}

export interface BackendMatrix {
  readonly backends: Backend[];
  /** Registers the test that stops the SeaweedFS cluster: call after every test of the module is registered. */
  finish(): void;
}

export async function backendMatrix(only?: BackendName[]): Promise<BackendMatrix> {
  const want = (n: BackendName) => only === undefined || only.includes(n);
  let cluster: SeaweedFS | null = null;
  const backends: Backend[] = [];
  if (want("embedded")) {
    backends.push({
      name: "embedded",
      ignore: false,
      use: () => Promise.resolve(useBackend("embedded", [])),
    });
  }
  if (want("seaweedmq")) {
    const weed = await weedTool();
    backends.push({
      name: "seaweedmq",
      ignore: weed.ignore,
      use: async () => {
        cluster ??= await startSeaweedFS();
        useBackend("seaweedmq", cluster.gatewayArgs);
      },
    });
  }
  return {
    backends,
    finish: () => {
      if (!backends.some((b) => b.name === "seaweedmq" && !b.ignore)) return;
      Deno.test({
        name: "seaweedmq: stop the SeaweedFS cluster of this module",
        sanitizeOps: false,
        sanitizeResources: false,
        fn: async () => {
          useBackend("embedded", []);
          await cluster?.stop();
          cluster = null;
        },
      });
    },
  };
}
