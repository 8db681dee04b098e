// The server assignors a consumer group may select by name (the heartbeat's ServerAssignor,
// `group.remote.assignor`); `uniform` is Kafka's default (group.consumer.assignors = uniform,range).
import type { ServerAssignor } from "../contract.ts";
import { RangeAssignor } from "./range.ts";
import { UniformAssignor } from "./uniform.ts";

export { RangeAssignor, UniformAssignor };

export const DEFAULT_SERVER_ASSIGNOR = "uniform";

export const SERVER_ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map<string, ServerAssignor>([
  ["uniform", new UniformAssignor()],
  ["range", new RangeAssignor()],
]);
