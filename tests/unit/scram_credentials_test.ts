// SCRAM primitives against RFC 7677's published exchange; the credential store (durable document, compare-and-set
// between two gateways, --sasl-users seeding that never overwrites an admin's change); DescribeUserScramCredentials
// and AlterUserScramCredentials with Kafka's checks (KIP-554).
import { assert, assertEquals } from "./assert.ts";
import { logger } from "../../src/log.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import type { Broker, RequestContext } from "../../src/request/context.ts";
import {
  b64,
  constantTimeEqual,
  credentialFromSalted,
  hash,
  hmac,
  parseClientFirst,
  saltedPassword,
  unb64,
  verifyPassword,
} from "../../src/security/sasl/scram.ts";
import {
  CREDENTIALS_DOCUMENT,
  CredentialStore,
  parseUsersFile,
} from "../../src/security/credentials/store.ts";
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from "../../src/security/credentials/handlers.ts";
import type { AlterUserScramCredentialsResponse } from "../../src/protocol/messages/alter_user_scram_credentials.ts";
import type { DescribeUserScramCredentialsResponse } from "../../src/protocol/messages/describe_user_scram_credentials.ts";
import { clientUpsertion, MemoryDocuments } from "../helpers/sasl.ts";

const enc = new TextEncoder();

Deno.test("scram: RFC 7677's SCRAM-SHA-256 example exchange", async () => {
  const salt = unb64("W22ZaJ0SNY7soEsUEjb6gQ==");
  const salted = await saltedPassword("SCRAM-SHA-256", "pencil", salt, 4096);
  const cred = await credentialFromSalted("SCRAM-SHA-256", salted, salt, 4096);
  const first = parseClientFirst(enc.encode("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  assertEquals([first.user, first.gs2Header, first.bare], ["user", "n,,", "n=user,r=rOprNGfwEbeRWgbNEkqO"]);
  const serverFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  const withoutProof = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  const authMessage = enc.encode(`${first.bare},${serverFirst},${withoutProof}`);
  // The server's check of the RFC's proof: H(proof XOR HMAC(StoredKey, AuthMessage)) = StoredKey.
  const proof = unb64("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  const sig = await hmac("SCRAM-SHA-256", cred.storedKey, authMessage);
  const clientKey = proof.map((b, i) => b ^ sig[i]);
  assert(constantTimeEqual(await hash("SCRAM-SHA-256", clientKey), cred.storedKey), "RFC proof verifies");
  assertEquals(
    b64(await hmac("SCRAM-SHA-256", cred.serverKey, authMessage)),
    "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
  );
  assert(await verifyPassword("SCRAM-SHA-256", cred, "pencil"), "PLAIN: the right password");
  assert(!await verifyPassword("SCRAM-SHA-256", cred, "pencil2"), "PLAIN: a wrong one");
});

Deno.test("scram: client-first parsing (saslname escapes, authzid, extensions, no channel binding)", () => {
  const f = parseClientFirst(enc.encode("n,a=a=3Db,n=a=3Db=2Cc,r=abc,tokenauth=true"));
  assertEquals([f.user, f.authzid, f.extensions.get("tokenauth")], ["a=b,c", "a=b", "true"]);
  for (const bad of ["p=tls-unique,,n=u,r=x", "n,,r=x,n=u", "n,,n=u", "n,,n=a=zz,r=x"]) {
    let threw = false;
    try {
      parseClientFirst(enc.encode(bad));
    } catch {
      threw = true;
    }
    assert(threw, bad);
  }
});

// ------------------------------------------------------------------------------------------------- the store

Deno.test("credentials: --sasl-users seeds both mechanisms once, re-seeds a changed password, keeps an admin's change", async () => {
  const docs = new MemoryDocuments();
  const store = new CredentialStore(docs, logger("test"), 0);
  assertEquals(await store.seed(new Map([["alice", "one"]]), 4096), 2);
  const cred = store.get("alice", "SCRAM-SHA-512")!;
  assertEquals([cred.iterations, cred.origin], [4096, "users-file"]);
  const text = new TextDecoder().decode(docs.docs.get(CREDENTIALS_DOCUMENT)!.data);
  assert(!text.includes("one"), "no password in the document");
  // The same file again: nothing written.
  assertEquals(await store.seed(new Map([["alice", "one"]]), 4096), 0);
  // A changed password in the file: replaced.
  assertEquals(await store.seed(new Map([["alice", "two"]]), 4096), 2);
  assert(await verifyPassword("SCRAM-SHA-256", store.get("alice", "SCRAM-SHA-256")!, "two"), "new password");
  // Altered through the admin API: the file no longer wins.
  const ctx = testContext(store);
  await alter(ctx, {
    upsertions: [{ name: "alice", mechanism: 1, ...await clientUpsertion("SCRAM-SHA-256", "admin-set") }],
  });
  assertEquals(
    await store.seed(new Map([["alice", "three"]]), 4096),
    1,
    "only SCRAM-SHA-512 still from the file",
  );
  assert(await verifyPassword("SCRAM-SHA-256", store.get("alice", "SCRAM-SHA-256")!, "admin-set"), "kept");
  // A restart (a new store on the same documents) reads everything back.
  const again = new CredentialStore(docs, logger("test"), 0);
  await again.load();
  assert(await verifyPassword("SCRAM-SHA-512", again.get("alice", "SCRAM-SHA-512")!, "three"), "durable");
});

Deno.test("credentials: two gateways on one document store never lose each other's changes", async () => {
  const docs = new MemoryDocuments();
  const a = new CredentialStore(docs, logger("a"), 0);
  const b = new CredentialStore(docs, logger("b"), 0);
  await b.load();
  const up = async (store: CredentialStore, name: string) =>
    await alter(testContext(store), {
      upsertions: [{ name, mechanism: 1, ...await clientUpsertion("SCRAM-SHA-256", "p") }],
    });
  await up(a, "u1");
  assertEquals(b.get("u1", "SCRAM-SHA-256"), null, "b has not read the document since");
  await up(b, "u2"); // b's write starts from the stored document, not from its stale copy
  await a.load();
  assertEquals([...a.all().keys()].sort(), ["u1", "u2"]);
  // Concurrent writers: compare-and-set retries, nothing is lost.
  await Promise.all([up(a, "u3"), up(b, "u4"), up(a, "u5"), up(b, "u6")]);
  await a.load();
  await b.load();
  assertEquals([...a.all().keys()].sort(), ["u1", "u2", "u3", "u4", "u5", "u6"]);
  assertEquals([...b.all().keys()].sort(), ["u1", "u2", "u3", "u4", "u5", "u6"]);
});

Deno.test("credentials: the users file must be an object of non-empty passwords", () => {
  assertEquals([...parseUsersFile('{"a":"x","b":"y"}', "f")], [["a", "x"], ["b", "y"]]);
  for (const bad of ["[]", '{"a":1}', '{"":"x"}', "{", '{"a":""}']) {
    let msg = "";
    try {
      parseUsersFile(bad, "users.json");
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(msg.startsWith("--sasl-users users.json"), `${bad}: ${msg}`);
  }
});

// ------------------------------------------------------------------------------------------------- admin APIs

function testContext(store: CredentialStore): RequestContext {
  return {
    broker: { credentials: store } as unknown as Broker,
    principal: { type: "User", name: "admin" },
    log: logger("test"),
  } as unknown as RequestContext;
}

type Upsertion = {
  name: string;
  mechanism: number;
  iterations: number;
  salt: Uint8Array;
  saltedPassword: Uint8Array;
};

async function alter(
  ctx: RequestContext,
  req: { deletions?: { name: string; mechanism: number }[]; upsertions?: Upsertion[] },
) {
  const res = await alterUserScramCredentialsHandler()(ctx, {
    deletions: req.deletions ?? [],
    upsertions: req.upsertions ?? [],
  }) as AlterUserScramCredentialsResponse;
  return res.results.map((r) => [r.user, r.errorCode, r.errorMessage]);
}

async function describe(ctx: RequestContext, users: string[] | null) {
  return await describeUserScramCredentialsHandler()(ctx, {
    users: users === null ? null : users.map((name) => ({ name })),
  }) as DescribeUserScramCredentialsResponse;
}

Deno.test("scram admin: upsert, describe, delete with Kafka's errors", async () => {
  const store = new CredentialStore(new MemoryDocuments(), logger("test"), 0);
  const ctx = testContext(store);
  const u256 = await clientUpsertion("SCRAM-SHA-256", "pw", 8192);
  const u512 = await clientUpsertion("SCRAM-SHA-512", "pw", 4096);
  assertEquals(
    await alter(ctx, {
      upsertions: [
        { name: "alice", mechanism: 1, ...u256 },
        { name: "alice", mechanism: 2, ...u512 },
        { name: "bob", mechanism: 3, ...u256 },
        { name: "carol", mechanism: 1, ...u256, iterations: 4095 },
        { name: "dave", mechanism: 1, ...u256, iterations: 16385 },
        { name: "erin", mechanism: 1, ...u256 },
        { name: "erin", mechanism: 1, ...u256 },
        { name: "", mechanism: 1, ...u256 },
      ],
    }),
    [
      ["alice", 0, null],
      ["bob", ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"],
      ["carol", ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too few iterations"],
      ["dave", ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too many iterations"],
      ["erin", ErrorCode.DUPLICATE_RESOURCE, "A user credential cannot be altered twice in the same request"],
      ["", ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty"],
    ],
  );
  // The stored credential is the one the client's salted password makes: its password verifies.
  assert(await verifyPassword("SCRAM-SHA-256", store.get("alice", "SCRAM-SHA-256")!, "pw"), "upserted");
  assertEquals(store.get("erin", "SCRAM-SHA-256"), null, "a refused user is left unchanged");

  const all = await describe(ctx, null);
  assertEquals(all.results.map((r) => [r.user, r.credentialInfos]), [
    ["alice", [{ mechanism: 1, iterations: 8192 }, { mechanism: 2, iterations: 4096 }]],
  ]);
  const some = await describe(ctx, ["alice", "nobody", "alice2", "alice2"]);
  assertEquals(some.results.map((r) => [r.user, r.errorCode]), [
    ["alice", 0],
    ["nobody", ErrorCode.RESOURCE_NOT_FOUND],
    ["alice2", ErrorCode.DUPLICATE_RESOURCE],
  ]);

  assertEquals(
    await alter(ctx, { deletions: [{ name: "alice", mechanism: 1 }, { name: "zed", mechanism: 1 }] }),
    [
      ["alice", 0, null],
      ["zed", ErrorCode.RESOURCE_NOT_FOUND, "Attempt to delete a user credential that does not exist"],
    ],
  );
  assertEquals((await describe(ctx, ["alice"])).results[0].credentialInfos, [{
    mechanism: 2,
    iterations: 4096,
  }]);
  // Deleting the last credential removes the user.
  assertEquals(await alter(ctx, { deletions: [{ name: "alice", mechanism: 2 }] }), [["alice", 0, null]]);
  assertEquals((await describe(ctx, null)).results, []);
  assertEquals((await describe(ctx, ["alice"])).results[0].errorCode, ErrorCode.RESOURCE_NOT_FOUND);
});

Deno.test("scram admin: Kafka's checks only: a salted password of another length and an empty salt are stored", async () => {
  const store = new CredentialStore(new MemoryDocuments(), logger("test"), 0);
  const ctx = testContext(store);
  const u = await clientUpsertion("SCRAM-SHA-512", "pw", 4096);
  // kafka-go's TestAlterUserScramCredentials sends 18 bytes for SCRAM-SHA-512; Kafka stores it.
  assertEquals(
    await alter(ctx, {
      upsertions: [
        { name: "short", mechanism: 2, ...u, saltedPassword: u.saltedPassword.subarray(0, 18) },
        { name: "nosalt", mechanism: 2, ...u, salt: new Uint8Array(0) },
        { name: "empty", mechanism: 2, ...u, saltedPassword: new Uint8Array(0) },
      ],
    }),
    [
      ["short", 0, null],
      ["nosalt", 0, null],
      ["empty", ErrorCode.UNACCEPTABLE_CREDENTIAL, "Salted password must not be empty"],
    ],
  );
  const d = await describe(ctx, ["short", "nosalt", "empty"]);
  assertEquals(d.results.map((r) => [r.user, r.errorCode, r.credentialInfos]), [
    ["short", 0, [{ mechanism: 2, iterations: 4096 }]],
    ["nosalt", 0, [{ mechanism: 2, iterations: 4096 }]],
    ["empty", ErrorCode.RESOURCE_NOT_FOUND, []],
  ]);
  assertEquals(store.get("nosalt", "SCRAM-SHA-512")!.salt.length, 0);
  assertEquals(store.get("empty", "SCRAM-SHA-512"), null);
});
