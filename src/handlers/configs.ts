// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for topic and broker resources, answered by the
// config model (src/configs/model.ts), and for group resources (type 32, src/configs/group_configs.ts): real
// values with sources and synonyms; alterations validated (bad values -> INVALID_CONFIG naming the key), persisted
// and in effect at once (configs the gateway only stores say so in their documentation and in the log line of the
// change). A group's configs can be described and set whether or not the group exists, as in Kafka.
import type { Handler, RequestContext } from "../request/context.ts";
import type {
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  DescribeConfigsResult,
} from "../protocol/messages/describe_configs.ts";
import type {
  AlterConfigsRequest,
  AlterConfigsResourceResponse,
  AlterConfigsResponse,
} from "../protocol/messages/alter_configs.ts";
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from "../protocol/messages/incremental_alter_configs.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ResourceType } from "../configs/defs.ts";
import { type ConfigAlteration, OP_SET } from "../configs/model.ts";
import { validateTopicName } from "./topic_rules.ts";
import type { GroupConfigs } from "../configs/group_configs.ts";
import { GROUP_CONFIG_BY_NAME } from "../configs/group_defs.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";

function unsupported(type: number): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_REQUEST,
    type === ResourceType.BROKER_LOGGER
      ? "Broker logger resources are not supported by this gateway"
      : `Unsupported resource type: ${type}`,
  );
}

/** The group configs, or the refusal of a gateway built without them. */
function groupConfigs(ctx: RequestContext): GroupConfigs {
  const g = ctx.broker.groupConfigs;
  if (!g) throw unsupported(ResourceType.GROUP);
  return g;
}

export const describeConfigsHandler: Handler<DescribeConfigsRequest, DescribeConfigsResponse> = (
  ctx,
  req,
) => {
  const { broker } = ctx;
  const results: DescribeConfigsResult[] = [];
  for (const r of req.resources) {
    const out: DescribeConfigsResult = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      configs: [],
    };
    try {
      if (r.resourceType === ResourceType.TOPIC) {
        validateTopicName(r.resourceName);
        const meta = broker.storage.getTopic(r.resourceName);
        if (!meta) out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else {
          out.configs = broker.configs.describeTopic(
            meta.configs,
            r.configurationKeys,
            req.includeSynonyms,
            req.includeDocumentation,
          );
        }
      } else if (r.resourceType === ResourceType.BROKER) {
        out.configs = broker.configs.describeBroker(
          r.resourceName,
          r.configurationKeys,
          req.includeSynonyms,
          req.includeDocumentation,
        );
      } else if (r.resourceType === ResourceType.GROUP) {
        out.configs = groupConfigs(ctx).describe(
          r.resourceName,
          r.configurationKeys,
          req.includeSynonyms,
          req.includeDocumentation,
        );
      } else {
        throw unsupported(r.resourceType);
      }
    } catch (e) {
      out.errorCode = errorCodeOf(e);
      out.errorMessage = errorMessageOf(e);
      out.configs = [];
    }
    results.push(out);
  }
  return { results };
};

interface Resource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly alterations: ConfigAlteration[];
}

async function alter(
  ctx: RequestContext,
  resources: readonly Resource[],
  incremental: boolean,
  validateOnly: boolean,
): Promise<AlterConfigsResourceResponse[]> {
  const { broker } = ctx;
  const seen = new Map<string, number>();
  const key = (r: Resource) => `${r.resourceType}/${r.resourceName}`;
  for (const r of resources) seen.set(key(r), (seen.get(key(r)) ?? 0) + 1);
  const out: AlterConfigsResourceResponse[] = [];
  for (const r of resources) {
    const res: AlterConfigsResourceResponse = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      resourceType: r.resourceType,
      resourceName: r.resourceName,
    };
    try {
      if ((seen.get(key(r)) ?? 0) > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, "Duplicate resource.");
      if (r.resourceType === ResourceType.TOPIC) {
        validateTopicName(r.resourceName);
        await broker.configs.alterTopic(r.resourceName, r.alterations, incremental, validateOnly);
      } else if (r.resourceType === ResourceType.BROKER) {
        await broker.configs.alterBroker(r.resourceName, r.alterations, incremental, validateOnly);
      } else if (r.resourceType === ResourceType.GROUP) {
        await groupConfigs(ctx).alter(r.resourceName, r.alterations, incremental, validateOnly);
      } else {
        throw unsupported(r.resourceType);
      }
      if (!validateOnly) {
        const isBroker = r.resourceType === ResourceType.BROKER;
        // passwords never reach the log; configs without effect here are named, so an operator sees it
        const shown = (a: ConfigAlteration) =>
          isBroker ? broker.configs.loggableBrokerValue(a.name, a.value) : a.value;
        const names = r.alterations.map((a) => a.name);
        const inert = isBroker
          ? broker.configs.withoutEffect(names)
          : r.resourceType === ResourceType.GROUP
          ? names.filter((n) => {
            const def = GROUP_CONFIG_BY_NAME.get(n);
            return def?.noEffect !== undefined || (def?.shareGroups === true && !ctx.broker.shares);
          })
          : [];
        ctx.log.info("configs of {type} {name} altered: {changes}{note}", {
          type: isBroker ? "broker" : r.resourceType === ResourceType.GROUP ? "group" : "topic",
          name: r.resourceName === "" ? "(cluster default)" : r.resourceName,
          changes: r.alterations.map((a) =>
            `${a.name}${["=", " deleted", " +=", " -="][a.op] ?? "?"}${a.op === 1 ? "" : shown(a) ?? ""}`
          ).join(", "),
          note: inert.length > 0 ? `; stored, no effect on this gateway: ${inert.join(", ")}` : "",
        });
      }
    } catch (e) {
      res.errorCode = errorCodeOf(e);
      res.errorMessage = errorMessageOf(e);
    }
    out.push(res);
  }
  return out;
}

export const alterConfigsHandler: Handler<AlterConfigsRequest, AlterConfigsResponse> = async (ctx, req) => {
  const resources = req.resources.map((r) => ({
    resourceType: r.resourceType,
    resourceName: r.resourceName,
    alterations: r.configs.map((c) => ({ name: c.name, op: OP_SET, value: c.value })),
  }));
  return { responses: await alter(ctx, resources, false, req.validateOnly) };
};

export const incrementalAlterConfigsHandler: Handler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse
> = async (ctx, req) => {
  const resources = req.resources.map((r) => ({
    resourceType: r.resourceType,
    resourceName: r.resourceName,
    alterations: r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })),
  }));
  return { responses: await alter(ctx, resources, true, req.validateOnly) };
};
