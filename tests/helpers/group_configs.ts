// Group configs (Kafka 4's GROUP config resource) set over the wire, for the tests of consumer and share groups.
import type { WireClient } from "./wire.ts";
import { assertEquals } from "../unit/assert.ts";
import {
  type IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsSpec,
} from "../../src/protocol/messages/incremental_alter_configs.ts";

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
