// AlterUserScramCredentials (key 51), version 0, flexible from v0 (KIP-554; Kafka 3.9
// AlterUserScramCredentialsRequest/Response.json). Upsertions carry the salt and the salted password the client
// computed (Hi(password, salt, iterations)), never the password; one result per user named.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const AlterUserScramCredentialsSpec = defineApi({
  key: ApiKey.AlterUserScramCredentials,
  name: "AlterUserScramCredentials",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("deletions", arrayOf([field("name", "string"), field("mechanism", "int8")])),
    field(
      "upsertions",
      arrayOf([
        field("name", "string"),
        field("mechanism", "int8"),
        field("iterations", "int32"),
        field("salt", "bytes"),
        field("saltedPassword", "bytes"),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "results",
      arrayOf([
        field("user", "string"),
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
      ]),
    ),
  ],
});

export type AlterUserScramCredentialsRequest = RequestOf<typeof AlterUserScramCredentialsSpec>;
export type AlterUserScramCredentialsResponse = ResponseOf<typeof AlterUserScramCredentialsSpec>;
