// DescribeUserScramCredentials (key 50), version 0, flexible from v0 (KIP-554; Kafka 3.9
// DescribeUserScramCredentialsRequest/Response.json). users null or empty: every user with a credential.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeUserScramCredentialsSpec = defineApi({
  key: ApiKey.DescribeUserScramCredentials,
  name: "DescribeUserScramCredentials",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("users", arrayOf([field("name", "string")]), "0+", { nullable: "0+" }),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field(
      "results",
      arrayOf([
        field("user", "string"),
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
        // mechanism: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512.
        field("credentialInfos", arrayOf([field("mechanism", "int8"), field("iterations", "int32")])),
      ]),
    ),
  ],
});

export type DescribeUserScramCredentialsRequest = RequestOf<typeof DescribeUserScramCredentialsSpec>;
export type DescribeUserScramCredentialsResponse = ResponseOf<typeof DescribeUserScramCredentialsSpec>;
