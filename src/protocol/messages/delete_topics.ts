// DeleteTopics (key 20), versions 0-6, flexible from v4 (Kafka 3.9 DeleteTopicsRequest/Response.json).
// v0-5 name topics in TopicNames; v6 sends Topics (name or topic id).
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface DeleteTopicsRequestTopic {
  /** Null when the topic is given by id. */
  name: string | null;
  topicId: string;
}

export interface DeleteTopicsRequest {
  /** v6+. */
  topics: DeleteTopicsRequestTopic[];
  /** v0-5. */
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResponseTopic {
  /** Nullable v6+. */
  name: string | null;
  /** v6+. */
  topicId: string;
  errorCode: number;
  /** v5+. */
  errorMessage: string | null;
}

export interface DeleteTopicsResponse {
  /** v1+. */
  throttleTimeMs: number;
  responses: DeleteTopicsResponseTopic[];
}

export const DeleteTopicsSpec: ApiSpec = {
  key: ApiKey.DeleteTopics,
  name: "DeleteTopics",
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 4,
  request: [
    field(
      "topics",
      arrayOf([
        field("name", "string", "6+", { nullable: "6+", default: null }),
        field("topicId", "uuid", "6+"),
      ]),
      "6+",
    ),
    field("topicNames", arrayOf("string"), "0-5"),
    field("timeoutMs", "int32"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field(
      "responses",
      arrayOf([
        field("name", "string", "0+", { nullable: "6+" }),
        field("topicId", "uuid", "6+"),
        field("errorCode", "int16"),
        field("errorMessage", "string", "5+", { nullable: "5+", default: null }),
      ]),
    ),
  ],
};
