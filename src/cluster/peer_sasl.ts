// The client side of SASL for connections between gateways (SaslHandshake v1, then SaslAuthenticate v0-2):
// PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802 as Kafka speaks it: no SASLprep, no channel binding).
// Used only when the only listener the gateways share is a SASL one; the credentials are the gateway's own.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { SaslHandshakeSpec } from "../protocol/messages/sasl_handshake.ts";
import { SaslAuthenticateSpec } from "../protocol/messages/sasl_authenticate.ts";
import {
  b64,
  constantTimeEqual,
  encodeSaslName,
  hash,
  hmac,
  isScramMechanism,
  saltedPassword,
  type ScramMechanism,
  unb64,
} from "../security/sasl/scram.ts";
import type { PeerConnection } from "./peer_connection.ts";

export type PeerSaslMechanism = "PLAIN" | ScramMechanism;

export interface PeerSaslCredentials {
  readonly mechanism: PeerSaslMechanism;
  readonly username: string;
  readonly password: string;
}

export function isPeerSaslMechanism(s: string): s is PeerSaslMechanism {
  return s === "PLAIN" || isScramMechanism(s);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Authenticates `conn` (already past ApiVersions); throws KafkaError SASL_AUTHENTICATION_FAILED and friends. */
export async function authenticatePeer(conn: PeerConnection, creds: PeerSaslCredentials): Promise<void> {
  const hs = await conn.request(SaslHandshakeSpec, 1, { mechanism: creds.mechanism });
  if (hs.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(
      hs.errorCode,
      `${conn.label} does not take SASL ${creds.mechanism} (it enables ${
        hs.mechanisms.join(", ") || "none"
      })`,
    );
  }
  const range = conn.supported(SaslAuthenticateSpec.key);
  const version = Math.min(range?.max ?? 0, SaslAuthenticateSpec.maxVersion);
  const step = async (token: Uint8Array): Promise<Uint8Array> => {
    const res = await conn.request(SaslAuthenticateSpec, version, { authBytes: token });
    if (res.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(
        res.errorCode,
        `SASL ${creds.mechanism} as ${creds.username} to ${conn.label}: ${res.errorMessage ?? "refused"}`,
      );
    }
    return res.authBytes;
  };
  if (creds.mechanism === "PLAIN") {
    await step(enc.encode(`\0${creds.username}\0${creds.password}`));
    return;
  }
  await scram(creds.mechanism, creds, step, conn.label);
}

async function scram(
  mech: ScramMechanism,
  creds: PeerSaslCredentials,
  step: (token: Uint8Array) => Promise<Uint8Array>,
  label: string,
): Promise<void> {
  const nonce = b64(crypto.getRandomValues(new Uint8Array(24)));
  const gs2 = "n,,";
  const firstBare = `n=${encodeSaslName(creds.username)},r=${nonce}`;
  const serverFirst = dec.decode(await step(enc.encode(gs2 + firstBare)));
  const attrs = new Map(serverFirst.split(",").map((p) => [p.slice(0, 1), p.slice(2)] as [string, string]));
  const r = attrs.get("r") ?? "";
  const salt = attrs.get("s");
  const iterations = Number(attrs.get("i"));
  const bad = (why: string) =>
    new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, `SASL ${mech} to ${label}: ${why}`);
  if (!r.startsWith(nonce) || r.length === nonce.length) throw bad("the server's nonce does not extend ours");
  if (salt === undefined || !Number.isInteger(iterations) || iterations < 1) {
    throw bad("malformed server-first");
  }
  const salted = await saltedPassword(mech, creds.password, unb64(salt), iterations);
  const clientKey = await hmac(mech, salted, enc.encode("Client Key"));
  const storedKey = await hash(mech, clientKey);
  const withoutProof = `c=${b64(enc.encode(gs2))},r=${r}`;
  const authMessage = enc.encode(`${firstBare},${serverFirst},${withoutProof}`);
  const signature = await hmac(mech, storedKey, authMessage);
  const proof = clientKey.map((b, i) => b ^ signature[i]);
  const serverFinal = dec.decode(await step(enc.encode(`${withoutProof},p=${b64(proof)}`)));
  const serverKey = await hmac(mech, salted, enc.encode("Server Key"));
  const expected = await hmac(mech, serverKey, authMessage);
  // The server proves it knew the credential: a gateway does not talk to an impostor on the peer's address.
  if (!serverFinal.startsWith("v=") || !constantTimeEqual(unb64(serverFinal.slice(2)), expected)) {
    throw bad("the server's signature does not verify");
  }
}
