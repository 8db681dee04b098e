// ListConfigResources (KIP-1142; v0 was ListClientMetricsResources): the config resources DescribeConfigs can
// describe, by type, as Kafka lists them: every topic, every live broker's id, the groups that hold group configs.
// An empty type list means every type listed here; a type Kafka does not list is UNSUPPORTED_VERSION for the whole
// request. Client metrics resources (KIP-714, v0 lists only those) and broker loggers are types Kafka lists, and
// this gateway has none of either, so they list empty (DescribeConfigs refuses broker loggers by name).
import type { Handler } from "../request/context.ts";
import type {
  ListConfigResourcesRequest,
  ListConfigResourcesResponse,
} from "../protocol/messages/list_config_resources.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { ResourceType } from "../configs/defs.ts";

const LISTED: readonly number[] = [
  ResourceType.TOPIC,
  ResourceType.BROKER,
  ResourceType.BROKER_LOGGER,
  ResourceType.CLIENT_METRICS,
  ResourceType.GROUP,
];

export const listConfigResourcesHandler: Handler<ListConfigResourcesRequest, ListConfigResourcesResponse> = (
  ctx,
  req,
) => {
  if (ctx.header.apiVersion === 0) return { errorCode: ErrorCode.NONE, configResources: [] }; // client metrics only
  const types = req.resourceTypes ?? [];
  const wanted = types.length === 0 ? LISTED : types;
  if (wanted.some((t) => !LISTED.includes(t))) {
    return { errorCode: ErrorCode.UNSUPPORTED_VERSION, configResources: [] };
  }
  const { broker } = ctx;
  const out: ListConfigResourcesResponse["configResources"] = [];
  for (const type of new Set(wanted)) {
    const names = type === ResourceType.TOPIC
      ? broker.storage.listTopics().map((t) => t.name).sort()
      : type === ResourceType.BROKER
      ? broker.cluster.brokers().map((b) => String(b.nodeId))
      : type === ResourceType.GROUP
      ? broker.groupConfigs?.groups() ?? []
      : [];
    for (const resourceName of names) out.push({ resourceName, resourceType: type });
  }
  return { errorCode: ErrorCode.NONE, configResources: out };
};
