// DeleteTopics (key 20), versions 0-6, flexible from v4 (Kafka 3.9 DeleteTopicsRequest/Response.json).
// v0-5 name topics in TopicNames; v6 sends Topics (name or topic id).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DeleteTopicsSpec = defineApi({
  key: ApiKey.DeleteTopics,
  name: "DeleteTopics",
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 4,
  request: [
    field(
      "topics",
      arrayOf([
        // Null when the topic is given by id.
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
        field("name", "string", "0+", { nullable: "6+", mapKey: true }),
        field("topicId", "uuid", "6+"),
        field("errorCode", "int16"),
        field("errorMessage", "string", "5+", { nullable: "5+", default: null }),
      ]),
    ),
  ],
});

export type DeleteTopicsRequest = RequestOf<typeof DeleteTopicsSpec>;
export type DeleteTopicsResponse = ResponseOf<typeof DeleteTopicsSpec>;
export type DeleteTopicsResponseTopic = DeleteTopicsResponse["responses"][number];
