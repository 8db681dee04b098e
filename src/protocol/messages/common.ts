// Structures shared by several APIs (Kafka's common structs), declared once. Their fields are "0+": present
// whenever the enclosing field is, which carries the version range (and the tag) in each API's spec.
import { field, struct } from "../schema.ts";

/** The partition's current leader (Produce v10+ and Fetch v12+ answers to NOT_LEADER_OR_FOLLOWER). */
export const LeaderIdAndEpoch = struct([
  field("leaderId", "int32", "0+", { default: -1 }),
  field("leaderEpoch", "int32", "0+", { default: -1 }),
]);

/** Largest epoch and its end offset (Fetch's diverging epoch). */
export const EpochEndOffset = struct([
  field("epoch", "int32", "0+", { default: -1 }),
  field("endOffset", "int64", "0+", { default: -1 }),
]);

/** A broker's endpoint, sent with leader changes (Produce v10+, Fetch v16+). */
export const NodeEndpoint = struct([
  field("nodeId", "int32", "0+", { mapKey: true }),
  field("host", "string"),
  field("port", "int32"),
  field("rack", "string", "0+", { nullable: "0+", default: null }),
]);
