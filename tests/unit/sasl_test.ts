import { FakeChannel } from "../helpers/pipeline.ts";
// SASL through the request pipeline (src/security/sasl/, src/server/pipeline/): a SASL listener serves only
// ApiVersions and the SASL APIs before authentication; PLAIN, SCRAM-SHA-256/512 (SaslHandshake v1 +
// SaslAuthenticate, and v0's raw tokens) and OAUTHBEARER (signed JWTs against a JWKS file) authenticate against
// the credential store; failures are answered with Kafka's codes after the delay, counted, and close the
// connection; KIP-368 sessions expire and re-authentication works. A fake channel drives handle(); the clock and
// the failure delay are the test's.
import { assert, assertEquals } from "./assert.ts";
import type { ApiSpec } from "../../src/protocol/schema.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { logger } from "../../src/log.ts";
import type { Broker, Listener, RequestContext } from "../../src/request/context.ts";
import { ALLOW } from "../../src/request/authorize.ts";
import { ApiRegistry } from "../../src/handlers/registry.ts";
import { CLOSE, DONE, RequestPipeline } from "../../src/server/pipeline/pipeline.ts";
import { principalName } from "../../src/request/authenticate.ts";
import { GatewayMetrics } from "../../src/metrics/metrics.ts";
import { requestFrame } from "../helpers/wire.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import { type SaslHandshakeResponse, SaslHandshakeSpec } from "../../src/protocol/messages/sasl_handshake.ts";
import {
  type SaslAuthenticateResponse,
  SaslAuthenticateSpec,
} from "../../src/protocol/messages/sasl_authenticate.ts";
import { apiVersionsHandler } from "../../src/handlers/api_versions.ts";
import { saslAuthenticateHandler, saslHandshakeHandler } from "../../src/security/sasl/handlers.ts";
import {
  createSaslAuthenticator,
  type SaslAuthenticatorOptions,
} from "../../src/security/sasl/authenticator.ts";
import { CredentialStore } from "../../src/security/credentials/store.ts";
import type { SaslMechanism } from "../../src/security/sasl/mechanisms.ts";
import type { ScramMechanism } from "../../src/security/sasl/scram.ts";
import { JwksKeys } from "../../src/security/sasl/jwks.ts";
import { oauthBearerOptions, saslMechanisms } from "../../src/security/sasl/setup.ts";
import {
  jwks,
  MemoryDocuments,
  oauthMessage,
  plainToken,
  ScramClient,
  signingKey,
  signJwt,
  unsignedJwt,
} from "../helpers/sasl.ts";

const { config } = loadConfig({ argv: [], env: () => undefined, readFile: () => undefined });

const LISTENER: Listener = {
  name: "SASL_PLAINTEXT",
  securityProtocol: "SASL_PLAINTEXT",
  host: "127.0.0.1",
  port: 9092,
};

/** Users alice/alice-secret and bob/bob-secret with SCRAM-SHA-256 and -512 credentials. */
async function credentialStore(): Promise<CredentialStore> {
  const store = new CredentialStore(new MemoryDocuments(), logger("test"), 0);
  await store.seed(new Map([["alice", "alice-secret"], ["bob", "bob-secret"]]), 4096);
  return store;
}

interface Setup {
  readonly pipeline: RequestPipeline;
  readonly metrics: GatewayMetrics;
  readonly handled: RequestContext[];
  readonly delays: number[];
  readonly clock: { now: number };
  channel(): FakeChannel;
}

async function setup(opts: Partial<SaslAuthenticatorOptions> = {}): Promise<Setup> {
  const metrics = new GatewayMetrics(100);
  const broker = {
    config,
    log: logger("test"),
    metrics,
    clusterId: "sasl-test",
    shutdown: new AbortController().signal,
  } as unknown as Broker;
  const handled: RequestContext[] = [];
  const registry = new ApiRegistry();
  registry.register(ApiVersionsSpec, apiVersionsHandler(registry), ALLOW)
    .register(SaslHandshakeSpec, saslHandshakeHandler, ALLOW)
    .register(SaslAuthenticateSpec, saslAuthenticateHandler, ALLOW)
    .register(MetadataSpec, (ctx) => {
      handled.push(ctx);
      return { brokers: [], clusterId: "c", controllerId: 1, topics: [], clusterAuthorizedOperations: 0 };
    }, ALLOW);
  const delays: number[] = [];
  const clock = { now: Date.now() };
  const authenticator = createSaslAuthenticator({
    mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
    credentials: opts.credentials ?? await credentialStore(),
    oauth: null,
    sessionLifetimeMs: 0,
    failedAuthenticationDelayMs: 100,
    log: logger("test"),
    now: () => clock.now,
    delay: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...opts,
  });
  const pipeline = new RequestPipeline(broker, registry, { authenticator });
  return {
    pipeline,
    metrics,
    handled,
    delays,
    clock,
    channel: () => new FakeChannel(pipeline, { id: 3, listener: LISTENER }),
  };
}

function frame(spec: ApiSpec, version: number, correlationId: number, body: unknown): Uint8Array {
  return requestFrame(spec, version, correlationId, body).subarray(4);
}

const METADATA = {
  topics: [],
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
};

let corr = 100;

async function handshake(s: Setup, ch: FakeChannel, mechanism: string, version = 1) {
  const id = ++corr;
  const r = await s.pipeline.handle(frame(SaslHandshakeSpec, version, id, { mechanism }), ch);
  return { r, res: ch.last<SaslHandshakeResponse>(SaslHandshakeSpec, version, id) };
}

async function authenticate(s: Setup, ch: FakeChannel, authBytes: Uint8Array, version = 2) {
  const id = ++corr;
  const r = await s.pipeline.handle(frame(SaslAuthenticateSpec, version, id, { authBytes }), ch);
  return { r, res: ch.last<SaslAuthenticateResponse>(SaslAuthenticateSpec, version, id) };
}

async function metadata(s: Setup, ch: FakeChannel) {
  return await s.pipeline.handle(frame(MetadataSpec, 9, ++corr, METADATA), ch);
}

async function scramLogin(s: Setup, ch: FakeChannel, mech: ScramMechanism, user: string, password: string) {
  assertEquals((await handshake(s, ch, mech)).res.errorCode, ErrorCode.NONE);
  const client = new ScramClient(mech, user, password);
  const first = await authenticate(s, ch, client.first());
  assertEquals(first.res.errorCode, ErrorCode.NONE, "server-first");
  const final = await authenticate(s, ch, await client.final(first.res.authBytes));
  return { ...final, client };
}

// ------------------------------------------------------------------------------------------------- gating

Deno.test("sasl: before authentication only ApiVersions and the SASL APIs are served", async () => {
  const s = await setup();
  const ch = s.channel();
  assertEquals(
    await s.pipeline.handle(
      frame(ApiVersionsSpec, 3, 1, { clientSoftwareName: "t", clientSoftwareVersion: "1" }),
      ch,
    ),
    DONE,
  );
  assertEquals(await metadata(s, ch), CLOSE, "a PLAINTEXT client's Metadata closes the connection");
  assertEquals(s.handled.length, 0);
  // A SaslAuthenticate before the handshake is out of turn too.
  const ch2 = s.channel();
  const r = await s.pipeline.handle(
    frame(SaslAuthenticateSpec, 2, 1, { authBytes: plainToken("alice", "alice-secret") }),
    ch2,
  );
  assertEquals(r, CLOSE);
});

Deno.test("sasl: an unsupported mechanism is refused with the enabled ones listed, after the delay, and closes", async () => {
  const s = await setup();
  const ch = s.channel();
  const { r, res } = await handshake(s, ch, "GSSAPI");
  assertEquals(r, CLOSE);
  assertEquals(res.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  assertEquals(res.mechanisms, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
  assertEquals(s.delays, [100]);
  assertEquals(s.metrics.saslAuthenticationsOf("unsupported", false), 1);
});

// ------------------------------------------------------------------------------------------------- PLAIN

Deno.test("sasl: PLAIN against the SCRAM store; the principal reaches handlers", async () => {
  const s = await setup();
  const ch = s.channel();
  const hs = await handshake(s, ch, "PLAIN");
  assertEquals(hs.res.errorCode, ErrorCode.NONE);
  const { r, res } = await authenticate(s, ch, plainToken("alice", "alice-secret"));
  assertEquals([r, res.errorCode, res.errorMessage, res.sessionLifetimeMs], [DONE, 0, null, 0]);
  assertEquals(await metadata(s, ch), DONE);
  assertEquals(principalName(s.handled[0].principal), "User:alice");
  assertEquals(s.metrics.saslAuthenticationsOf("PLAIN", true), 1);
  assertEquals(s.delays, [], "no delay on success");
});

Deno.test("sasl: PLAIN wrong password, unknown user, other authzid: SASL_AUTHENTICATION_FAILED, delay, close", async () => {
  const s = await setup();
  for (
    const token of [
      plainToken("alice", "wrong"),
      plainToken("carol", "alice-secret"),
      plainToken("alice", "alice-secret", "bob"),
    ]
  ) {
    const ch = s.channel();
    await handshake(s, ch, "PLAIN");
    const { r, res } = await authenticate(s, ch, token);
    assertEquals(r, CLOSE);
    assertEquals(res.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert(res.errorMessage?.startsWith("Authentication failed"), String(res.errorMessage));
    assert(!res.errorMessage!.includes("wrong") && !res.errorMessage!.includes("secret"), "no secret echoed");
  }
  assertEquals(s.delays, [100, 100, 100]);
  assertEquals(s.metrics.saslAuthenticationsOf("PLAIN", false), 3);
  assertEquals(s.handled.length, 0);
});

// ------------------------------------------------------------------------------------------------- SCRAM

for (const mech of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
  Deno.test(`sasl: ${mech} authenticates and proves the server knew the credential`, async () => {
    const s = await setup();
    const ch = s.channel();
    const { r, res, client } = await scramLogin(s, ch, mech, "bob", "bob-secret");
    assertEquals([r, res.errorCode], [DONE, ErrorCode.NONE]);
    assert(client.verifyServer(res.authBytes), "server-final signature verifies");
    assertEquals(await metadata(s, ch), DONE);
    assertEquals(principalName(s.handled[0].principal), "User:bob");
    assertEquals(s.metrics.saslAuthenticationsOf(mech, true), 1);
  });

  Deno.test(`sasl: ${mech} wrong password and unknown user fail alike at the proof`, async () => {
    const s = await setup();
    for (const [user, password] of [["bob", "nope"], ["mallory", "bob-secret"]]) {
      const ch = s.channel();
      const { r, res } = await scramLogin(s, ch, mech, user, password);
      assertEquals(r, CLOSE);
      assertEquals(res.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
      assertEquals(
        res.errorMessage,
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mech}`,
      );
    }
    assertEquals(s.metrics.saslAuthenticationsOf(mech, false), 2);
  });
}

Deno.test("sasl: SCRAM with a tampered nonce fails", async () => {
  const s = await setup();
  const ch = s.channel();
  await handshake(s, ch, "SCRAM-SHA-256");
  const client = new ScramClient("SCRAM-SHA-256", "alice", "alice-secret");
  const first = await authenticate(s, ch, client.first());
  const { r, res } = await authenticate(s, ch, await client.final(first.res.authBytes, { nonce: "other" }));
  assertEquals([r, res.errorCode], [CLOSE, ErrorCode.SASL_AUTHENTICATION_FAILED]);
});

// ------------------------------------------------------------------------------------------------- SaslHandshake v0

Deno.test("sasl: SaslHandshake v0 is followed by raw tokens (PLAIN, SCRAM), then requests", async () => {
  const s = await setup();
  const ch = s.channel();
  assertEquals((await handshake(s, ch, "PLAIN", 0)).res.errorCode, ErrorCode.NONE);
  assert(ch.auth.expectsRawToken === true, "raw token expected");
  assertEquals(await s.pipeline.handle(plainToken("alice", "alice-secret"), ch), DONE);
  assertEquals(ch.sent.at(-1)!.length, 0, "PLAIN success: an empty token");
  assertEquals(await metadata(s, ch), DONE);
  assertEquals(principalName(s.handled[0].principal), "User:alice");

  const ch2 = s.channel();
  await handshake(s, ch2, "SCRAM-SHA-512", 0);
  const client = new ScramClient("SCRAM-SHA-512", "bob", "bob-secret");
  assertEquals(await s.pipeline.handle(client.first(), ch2), DONE);
  assertEquals(await s.pipeline.handle(await client.final(ch2.sent.at(-1)!), ch2), DONE);
  assert(client.verifyServer(ch2.sent.at(-1)!), "server-final as a raw token");
  assertEquals(await metadata(s, ch2), DONE);
  assertEquals(principalName(s.handled[1].principal), "User:bob");

  // A wrong password closes without an answer (v0 has no error response).
  const ch3 = s.channel();
  await handshake(s, ch3, "PLAIN", 0);
  const before = ch3.sent.length;
  assertEquals(await s.pipeline.handle(plainToken("alice", "bad"), ch3), CLOSE);
  assertEquals(ch3.sent.length, before);
  assertEquals(s.delays, [100]);
});

// ------------------------------------------------------------------------------------------------- KIP-368

Deno.test("sasl: the session lifetime is reported, and the first request after it closes the connection", async () => {
  const s = await setup({ sessionLifetimeMs: 60_000 });
  const ch = s.channel();
  await handshake(s, ch, "PLAIN");
  const { res } = await authenticate(s, ch, plainToken("alice", "alice-secret"));
  assertEquals(res.sessionLifetimeMs, 60_000);
  s.clock.now += 59_000;
  assertEquals(await metadata(s, ch), DONE);
  s.clock.now += 2_000;
  assertEquals(await metadata(s, ch), CLOSE);
  assertEquals(s.metrics.saslSessionsExpired, 1);
});

Deno.test("sasl: re-authentication renews the session; another principal or mechanism is refused", async () => {
  const s = await setup({ sessionLifetimeMs: 60_000 });
  const ch = s.channel();
  await scramLogin(s, ch, "SCRAM-SHA-256", "alice", "alice-secret");
  s.clock.now += 50_000;
  const again = await scramLogin(s, ch, "SCRAM-SHA-256", "alice", "alice-secret");
  assertEquals([again.r, again.res.errorCode, again.res.sessionLifetimeMs], [DONE, 0, 60_000]);
  s.clock.now += 50_000; // 100 s after the first login, 50 s after the second
  assertEquals(await metadata(s, ch), DONE);
  assertEquals(principalName(s.handled.at(-1)!.principal), "User:alice");

  // As another user: refused, and the connection closes.
  s.clock.now += 2_000;
  const other = await scramLogin(s, ch, "SCRAM-SHA-256", "bob", "bob-secret");
  assertEquals([other.r, other.res.errorCode], [CLOSE, ErrorCode.SASL_AUTHENTICATION_FAILED]);
  assert(other.res.errorMessage!.includes("Cannot change principals"), String(other.res.errorMessage));

  // With another mechanism: UNSUPPORTED_SASL_MECHANISM.
  const ch2 = s.channel();
  await scramLogin(s, ch2, "SCRAM-SHA-256", "alice", "alice-secret");
  s.clock.now += 2_000;
  const hs = await handshake(s, ch2, "PLAIN");
  assertEquals([hs.r, hs.res.errorCode], [CLOSE, ErrorCode.UNSUPPORTED_SASL_MECHANISM]);
});

Deno.test("sasl: SaslAuthenticate after authentication is ILLEGAL_SASL_STATE; on a PLAINTEXT listener too", async () => {
  const s = await setup();
  const ch = s.channel();
  await handshake(s, ch, "PLAIN");
  await authenticate(s, ch, plainToken("alice", "alice-secret"));
  const { r, res } = await authenticate(s, ch, plainToken("alice", "alice-secret"));
  assertEquals([r, res.errorCode], [DONE, ErrorCode.ILLEGAL_SASL_STATE]);

  // Without a SASL authenticator the registered handlers answer.
  const plain = new RequestPipeline(
    { config, log: logger("t"), metrics: null } as unknown as Broker,
    new ApiRegistry().register(SaslHandshakeSpec, saslHandshakeHandler, ALLOW),
  );
  const pch = new FakeChannel(plain, { id: 3, listener: LISTENER });
  assertEquals(await plain.handle(frame(SaslHandshakeSpec, 1, 5, { mechanism: "PLAIN" }), pch), DONE);
  assertEquals(
    pch.last<SaslHandshakeResponse>(SaslHandshakeSpec, 1, 5).errorCode,
    ErrorCode.ILLEGAL_SASL_STATE,
  );
});

// ------------------------------------------------------------------------------------------------- OAUTHBEARER

function b64url(s: string): string {
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function oauthSetup(
  opts: { issuer?: string; audience?: string[]; unsigned?: boolean; lifetime?: number } = {},
) {
  const rsa = await signingKey("RS256", "rsa-1");
  const ec = await signingKey("ES256", "ec-1");
  const keys = new JwksKeys(() => Promise.resolve(jwks(rsa, ec)));
  await keys.load();
  const mechanisms: SaslMechanism[] = ["OAUTHBEARER"];
  const s = await setup({
    mechanisms,
    sessionLifetimeMs: opts.lifetime ?? 0,
    oauth: {
      keys,
      expectedIssuer: opts.issuer ?? null,
      expectedAudience: opts.audience ?? [],
      allowUnsigned: opts.unsigned ?? false,
    },
  });
  return { s, rsa, ec };
}

async function oauthLogin(s: Setup, token: string) {
  const ch = s.channel();
  await handshake(s, ch, "OAUTHBEARER");
  return { ch, ...await authenticate(s, ch, oauthMessage(token)) };
}

Deno.test("sasl: OAUTHBEARER with RS256 and ES256 tokens; the principal is the sub claim", async () => {
  const { s, rsa, ec } = await oauthSetup({ issuer: "https://idp.test", audience: ["kafka"] });
  for (const [key, sub] of [[rsa, "svc-a"], [ec, "svc-b"]] as const) {
    const { ch, r, res } = await oauthLogin(
      s,
      await signJwt(key, { sub, iss: "https://idp.test", aud: ["kafka", "x"] }),
    );
    assertEquals([r, res.errorCode], [DONE, ErrorCode.NONE]);
    assertEquals(await metadata(s, ch), DONE);
    assertEquals(principalName(s.handled.at(-1)!.principal), `User:${sub}`);
  }
  assertEquals(s.metrics.saslAuthenticationsOf("OAUTHBEARER", true), 2);
});

Deno.test("sasl: OAUTHBEARER refuses expired, forged, wrong-issuer, wrong-audience and unsigned tokens", async () => {
  const { s, rsa } = await oauthSetup({ issuer: "https://idp.test", audience: ["kafka"] });
  const other = await signingKey("RS256", "rsa-1"); // same kid, another key: a forgery
  const now = Math.floor(Date.now() / 1000);
  const good = { sub: "svc", iss: "https://idp.test", aud: "kafka" };
  const bad = [
    await signJwt(rsa, { ...good, exp: now - 120, iat: now - 3600 }),
    await signJwt(other, good),
    await signJwt(rsa, { ...good, iss: "https://evil.test" }),
    await signJwt(rsa, { ...good, aud: "other" }),
    unsignedJwt(good),
    (await signJwt(rsa, good)).replace(
      /\.[^.]+\./,
      `.${b64url(JSON.stringify({ ...good, sub: "admin", exp: now + 3600, iat: now }))}.`,
    ),
    "not-a-jwt",
  ];
  for (const token of bad) {
    const { r, res } = await oauthLogin(s, token);
    assertEquals([r, res.errorCode], [CLOSE, ErrorCode.SASL_AUTHENTICATION_FAILED], token.slice(0, 40));
    assert(res.errorMessage!.includes("invalid_token"), String(res.errorMessage));
  }
  assertEquals(s.metrics.saslAuthenticationsOf("OAUTHBEARER", false), bad.length);
  assertEquals(s.handled.length, 0);
});

Deno.test("sasl: unsigned tokens only with allow-unsigned; the session ends with the token", async () => {
  const { s } = await oauthSetup({ unsigned: true, lifetime: 3_600_000 });
  const exp = Math.floor(s.clock.now / 1000) + 600;
  const { ch, r, res } = await oauthLogin(s, unsignedJwt({ sub: "tester", exp, iat: exp - 700 }));
  assertEquals([r, res.errorCode], [DONE, ErrorCode.NONE]);
  const lifetime = Number(res.sessionLifetimeMs);
  assert(
    lifetime > 598_000 && lifetime <= 600_000,
    `bounded by the token's exp, not the 1 h lifetime: ${lifetime}`,
  );
  s.clock.now += 601_000;
  assertEquals(await metadata(s, ch), CLOSE);
});

// ------------------------------------------------------------------------------------------------- options

Deno.test("sasl: --sasl-mechanisms is checked at start; OAUTHBEARER needs a JWKS; a JWKS or users file names its flag", async () => {
  const cfg = (argv: string[]) =>
    loadConfig({ argv, env: () => undefined, readFile: () => undefined }).config;
  assertEquals(saslMechanisms(cfg([])), ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
  assertEquals(saslMechanisms(cfg(["--sasl-mechanisms", "scram-sha-512, PLAIN"])), [
    "SCRAM-SHA-512",
    "PLAIN",
  ]);
  const error = async (f: () => unknown) => {
    try {
      await f();
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  };
  assert(
    (await error(() => saslMechanisms(cfg(["--sasl-mechanisms", "GSSAPI"])))).includes(
      'unknown mechanism "GSSAPI"',
    ),
  );
  assert(
    (await error(() => saslMechanisms(cfg(["--sasl-mechanisms", "OAUTHBEARER"])))).includes(
      "--sasl-oauthbearer-jwks",
    ),
  );
  assertEquals(
    saslMechanisms(cfg(["--sasl-mechanisms", "OAUTHBEARER", "--sasl-oauthbearer-allow-unsigned"])),
    ["OAUTHBEARER"],
  );
  const missing = await error(() =>
    oauthBearerOptions(
      cfg(["--sasl-mechanisms", "OAUTHBEARER", "--sasl-oauthbearer-jwks", "/nonexistent/jwks.json"]),
    )
  );
  assert(missing.startsWith("--sasl-oauthbearer-jwks /nonexistent/jwks.json:"), missing);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/jwks.json`, '{"nokeys": []}');
    const bad = await error(() => oauthBearerOptions(cfg(["--sasl-oauthbearer-jwks", `${dir}/jwks.json`])));
    assert(bad.includes('JWKS has no "keys" array'), bad);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sasl: a key rotated into the JWKS is picked up on the first token naming it (at most every 10 s)", async () => {
  const k1 = await signingKey("RS256", "k1");
  const k2 = await signingKey("ES256", "k2");
  let served = jwks(k1);
  let fetches = 0;
  const clock = { now: 0 };
  const keys = new JwksKeys(() => {
    fetches++;
    return Promise.resolve(served);
  }, () => clock.now);
  await keys.load();
  assertEquals((await keys.candidates("k1", "RS256")).length, 1);
  served = jwks(k1, k2);
  clock.now += 1000;
  assertEquals((await keys.candidates("k2", "ES256")).length, 0, "within 10 s of the last read: not re-read");
  assertEquals(fetches, 1);
  clock.now += 10_000;
  assertEquals((await keys.candidates("k2", "ES256")).length, 1, "re-read for the unknown kid");
  assertEquals(fetches, 2);
  assertEquals((await keys.candidates("k2", "RS256")).length, 0, "a key is used only with its own alg");
});
