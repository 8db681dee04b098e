// FindCoordinator (key 10), versions 0-6, flexible from v3 (Kafka 3.9 FindCoordinatorRequest/Response.json).
// v0-3 look up one key; v4+ batch several keys (CoordinatorKeys) and answer with one Coordinators entry each.
// KeyType: 0 = group, 1 = transaction (2 = share group in later Kafka versions).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, type ElementOf, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const FindCoordinatorSpec = defineApi({
  key: ApiKey.FindCoordinator,
  name: "FindCoordinator",
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 3,
  request: [
    field("key", "string", "0-3"),
    field("keyType", "int8", "1+", { default: 0 }),
    field("coordinatorKeys", arrayOf("string"), "4+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16", "0-3"),
    field("errorMessage", "string", "1-3", { nullable: "1-3" }),
    field("nodeId", "int32", "0-3"),
    field("host", "string", "0-3"),
    field("port", "int32", "0-3"),
    field(
      "coordinators",
      arrayOf([
        field("key", "string", "4+"),
        field("nodeId", "int32", "4+"),
        field("host", "string", "4+"),
        field("port", "int32", "4+"),
        field("errorCode", "int16", "4+"),
        field("errorMessage", "string", "4+", { nullable: "4+" }),
      ]),
      "4+",
    ),
  ],
});

export type FindCoordinatorRequest = RequestOf<typeof FindCoordinatorSpec>;
export type FindCoordinatorResponse = ResponseOf<typeof FindCoordinatorSpec>;
export type FindCoordinatorResponseCoordinator = ElementOf<FindCoordinatorResponse["coordinators"]>;
