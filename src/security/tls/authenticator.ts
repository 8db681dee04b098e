// Authentication by listener: an SSL listener's principal is `User:` + its client certificate's subject DN
// (RFC 2253, dn.ts) mapped by --ssl-principal-mapping-rules (principal_rules.ts), User:ANONYMOUS without a
// certificate (--tls-client-auth none or requested); a DN no rule maps fails authentication and the connection is
// closed, as Kafka's SslAuthenticator does. SASL_PLAINTEXT and SASL_SSL listeners take their principal from SASL
// (src/security/sasl/), PLAINTEXT listeners are User:ANONYMOUS. authenticatorForListener picks one per listener.
import type { SecurityProtocol } from "../../request/context.ts";
import type { Logger } from "../../log.ts";
import {
  ANONYMOUS,
  anonymousAuthenticator,
  type Authenticator,
  CLOSE_CONNECTION,
  type ConnectionAuth,
} from "../../request/authenticate.ts";
import { subjectDn } from "./dn.ts";
import { applyPrincipalRules, type PrincipalRule } from "./principal_rules.ts";

const ANONYMOUS_AUTH: ConnectionAuth = Object.freeze({ principal: ANONYMOUS });
const REFUSED: ConnectionAuth = Object.freeze({ principal: ANONYMOUS, intercept: () => CLOSE_CONNECTION });

/** The SSL listener's authenticator. `onFailure` counts refused connections (metrics). */
export function sslAuthenticator(
  rules: readonly PrincipalRule[],
  log: Logger,
  onFailure?: () => void,
): Authenticator {
  return {
    open(conn) {
      const cert = conn.tls?.peerCertificate ?? null;
      if (cert === null) return ANONYMOUS_AUTH;
      let dn: string;
      try {
        dn = subjectDn(cert);
      } catch (e) {
        onFailure?.();
        log.warn("SSL authentication of {remote} failed: client certificate subject unreadable ({reason})", {
          remote: conn.remote,
          reason: (e as Error).message,
        });
        return REFUSED;
      }
      const name = applyPrincipalRules(rules, dn);
      if (name === null) {
        onFailure?.();
        log.warn("SSL authentication of {remote} failed: no ssl-principal-mapping-rules rule matches {dn}", {
          remote: conn.remote,
          dn,
        });
        return REFUSED;
      }
      return { principal: { type: "User", name } };
    },
  };
}

/** The authenticators a gateway has, by the security protocol of the listeners that use them. */
export type AuthenticatorsByProtocol = Partial<Record<SecurityProtocol, Authenticator>>;

/**
 * The authenticator of a listener speaking `protocol`: the one given for it; PLAINTEXT defaults to User:ANONYMOUS.
 * Throws when an SSL or SASL listener has none (a wiring error: gateway.ts builds one for each protocol in use).
 */
export function authenticatorForListener(
  protocol: SecurityProtocol,
  byProtocol: AuthenticatorsByProtocol,
): Authenticator {
  const a = byProtocol[protocol];
  if (a !== undefined) return a;
  if (protocol === "PLAINTEXT") return anonymousAuthenticator;
  throw new Error(`no authenticator for ${protocol} listeners`);
}
