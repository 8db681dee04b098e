// Group configs (Kafka 4's GROUP config resource) set over the wire, for the tests of consumer and share groups.
import { WireClient } from "./wire.ts";
import { assertEquals } from "../unit/assert.ts";
import {
  type IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsSpec,
} from "../../src/protocol/messages/incremental_alter_configs.ts";
import {
  type DescribeConfigsResponse,
  DescribeConfigsSpec,
} from "../../src/protocol/messages/describe_configs.ts";

/** ConfigResource type GROUP (Kafka 4). */
export const GROUP_CONFIGS = 32;

/** Sets group configs (IncrementalAlterConfigs SET on the GROUP resource); fails unless accepted. */
export async function setGroupConfigs(
  c: WireClient,
  group: string,
  configs: [string, string][],
): Promise<void> {
  const res = await c.call<IncrementalAlterConfigsResponse>(IncrementalAlterConfigsSpec, 1, {
    resources: [{
      resourceType: GROUP_CONFIGS,
      resourceName: group,
      configs: configs.map(([name, value]) => ({ name, configOperation: 0, value })),
    }],
    validateOnly: false,
  });
  assertEquals(res.responses[0].errorCode, 0, res.responses[0].errorMessage ?? "");
}

/** The group's configs as a gateway describes them (name -> value). */
export async function groupConfigs(c: WireClient, group: string): Promise<Record<string, string | null>> {
  const d = await c.call<DescribeConfigsResponse>(DescribeConfigsSpec, 4, {
    resources: [{ resourceType: GROUP_CONFIGS, resourceName: group, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  return Object.fromEntries(d.results[0].configs.map((e) => [e.name, e.value]));
}

/**
 * Waits until every gateway at `ports` describes the group's `configs` (a change made through one gateway reaches
 * the others with their next read of the configs document, as a Kafka broker applies it from the metadata log).
 */
export async function awaitGroupConfigs(
  ports: readonly number[],
  group: string,
  configs: readonly [string, string][],
  ms = 20_000,
): Promise<void> {
  const end = Date.now() + ms;
  for (const port of ports) {
    const c = await WireClient.connect(port);
    try {
      for (;;) {
        const seen = await groupConfigs(c, group);
        if (configs.every(([name, value]) => seen[name] === value)) break;
        if (Date.now() > end) {
          throw new Error(`gateway :${port} describes ${group} as ${JSON.stringify(seen)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      c.close();
    }
  }
}
