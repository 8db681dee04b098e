// SASL from the gateway's options: which mechanisms, OAUTHBEARER's key set and checks, the credential store
// (seeded from --sasl-users) and the Authenticator that SASL_PLAINTEXT and SASL_SSL listeners use.
import type { Config } from "../../configs/options.ts";
import type { Logger } from "../../log.ts";
import type { Authenticator } from "../../request/authenticate.ts";
import type { Storage } from "../../storage/storage.ts";
import { CredentialStore, parseUsersFile, POLL_MS } from "../credentials/store.ts";
import { MIN_ITERATIONS } from "./scram.ts";
import { isSaslMechanism, type SaslMechanism } from "./mechanisms.ts";
import { JwksKeys, jwksSource } from "./jwks.ts";
import type { OAuthBearerOptions } from "./oauthbearer.ts";
import { createSaslAuthenticator } from "./authenticator.ts";

type SaslConfig = Pick<
  Config,
  | "saslMechanisms"
  | "saslUsers"
  | "saslSessionLifetimeMs"
  | "failedAuthenticationDelayMs"
  | "saslOauthbearerJwks"
  | "saslOauthbearerExpectedIssuer"
  | "saslOauthbearerExpectedAudience"
  | "saslOauthbearerAllowUnsigned"
>;

/** --sasl-mechanisms as a list; throws naming the flag on an unknown or unusable mechanism. */
export function saslMechanisms(config: SaslConfig): SaslMechanism[] {
  const out: SaslMechanism[] = [];
  for (const raw of config.saslMechanisms.split(",")) {
    const m = raw.trim().toUpperCase();
    if (m === "") continue;
    if (!isSaslMechanism(m)) {
      throw new Error(
        `--sasl-mechanisms: unknown mechanism "${raw.trim()}" (supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)`,
      );
    }
    if (!out.includes(m)) out.push(m);
  }
  if (out.length === 0) throw new Error("--sasl-mechanisms: no mechanism given");
  if (
    out.includes("OAUTHBEARER") && config.saslOauthbearerJwks === "" && !config.saslOauthbearerAllowUnsigned
  ) {
    throw new Error(
      "--sasl-mechanisms OAUTHBEARER needs --sasl-oauthbearer-jwks FILE|URL to verify tokens (or, for tests only, --sasl-oauthbearer-allow-unsigned)",
    );
  }
  return out;
}

/** Reads a file an option names; a path outside the granted ones stops the start naming the path and the flag. */
export async function readNamedFile(path: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new Error(
        `${flag} ${path} is outside what this process may read: put it where the start task grants reading (e.g. ./config/), or with \`deno run\` add --allow-read=${path}`,
      );
    }
    throw new Error(`${flag} ${path}: ${(e as Error).message}`);
  }
}

/**
 * Opens the credential store on the backend's documents, seeds it from --sasl-users and starts polling (SeaweedMQ:
 * another gateway's change is seen within POLL_MS).
 */
export async function openCredentialStore(
  config: SaslConfig,
  storage: Storage,
  log: Logger,
): Promise<CredentialStore> {
  // The SASL options are checked at every start, also when no listener uses SASL yet.
  saslMechanisms(config);
  const store = new CredentialStore(storage.documents(), log, storage.kind === "seaweedmq" ? POLL_MS : 0);
  await store.load();
  if (config.saslUsers !== "") {
    const path = config.saslUsers;
    const text = await readNamedFile(path, "--sasl-users");
    const users = parseUsersFile(text, path);
    const written = await store.seed(users, MIN_ITERATIONS);
    log.info("SCRAM credentials: {users} users in --sasl-users, {written} credentials written", {
      users: users.size,
      written,
    });
  }
  store.start();
  return store;
}

/** OAUTHBEARER's settings, with the key set read (a missing or malformed one stops the start). */
export async function oauthBearerOptions(config: SaslConfig): Promise<OAuthBearerOptions> {
  let keys: JwksKeys | null = null;
  if (config.saslOauthbearerJwks !== "") {
    const location = config.saslOauthbearerJwks;
    keys = new JwksKeys(
      /^https?:\/\//i.test(location)
        ? jwksSource(location)
        : () => readNamedFile(location, "--sasl-oauthbearer-jwks"),
    );
    try {
      await keys.load();
    } catch (e) {
      const msg = (e as Error).message;
      throw new Error(
        msg.startsWith("--sasl-oauthbearer-jwks") ? msg : `--sasl-oauthbearer-jwks ${location}: ${msg}`,
      );
    }
  }
  return {
    keys,
    expectedIssuer: config.saslOauthbearerExpectedIssuer === "" ? null : config.saslOauthbearerExpectedIssuer,
    expectedAudience: config.saslOauthbearerExpectedAudience.split(",").map((s) => s.trim()).filter((s) =>
      s !== ""
    ),
    allowUnsigned: config.saslOauthbearerAllowUnsigned,
  };
}

/** The Authenticator of SASL listeners, from the options. */
export async function saslAuthenticatorFor(
  config: SaslConfig,
  credentials: CredentialStore,
  log: Logger,
): Promise<Authenticator> {
  const mechanisms = saslMechanisms(config);
  const oauth = mechanisms.includes("OAUTHBEARER") ? await oauthBearerOptions(config) : null;
  if (oauth?.allowUnsigned) {
    log.warn(
      "--sasl-oauthbearer-allow-unsigned: unsigned OAUTHBEARER tokens are accepted (anyone can forge one)",
    );
  }
  return createSaslAuthenticator({
    mechanisms,
    credentials,
    oauth,
    sessionLifetimeMs: config.saslSessionLifetimeMs,
    failedAuthenticationDelayMs: config.failedAuthenticationDelayMs,
    log,
  });
}
