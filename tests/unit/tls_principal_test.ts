// The SSL principal: a certificate's subject DN as Java's X500Principal.getName(RFC2253) writes it (what Kafka
// builds `User:<DN>` from), and Kafka's ssl.principal.mapping.rules (SslPrincipalMapper's syntax and results).
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { escapeValue, subjectDn } from "../../src/security/tls/dn.ts";
import {
  applyPrincipalRules,
  parsePrincipalRules,
  PrincipalRuleError,
} from "../../src/security/tls/principal_rules.ts";
import { sslAuthenticator } from "../../src/security/tls/authenticator.ts";
import { derOf, issue, makePki, opensslTool } from "../helpers/certs.ts";
import { logger } from "../../src/log.ts";
import { CLOSE_CONNECTION } from "../../src/request/authenticate.ts";
import type { RequestContext } from "../../src/request/context.ts";

const ignore = opensslTool.ignore;

Deno.test({
  name:
    "subject DN: RFC 2253 order (last RDN first), multi-valued RDNs, escaping, unknown attributes as OID=#hex",
  ignore,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-dn-" });
    try {
      const pki = await makePki(dir);
      const dn = async (subject: string) =>
        subjectDn(await derOf((await issue(pki, subject, `${dir}/c`)).cert));
      assertEquals(await dn("/CN=client"), "CN=client");
      assertEquals(
        await dn("/C=US/ST=CA/L=Palo Alto/O=Acme/OU=Eng/CN=alice"),
        "CN=alice,OU=Eng,O=Acme,L=Palo Alto,ST=CA,C=US",
      );
      // "+" joins the attributes of one RDN, in their encoded order
      assertEquals(await dn("/O=Acme/OU=Eng+UID=42/CN=bob"), "CN=bob,OU=Eng+UID=42,O=Acme");
      // , + = " \ < > ; # are escaped; a leading or trailing space too
      assertEquals(await dn("/O=Acme\\, Inc/CN=a\\+b\\=c"), "CN=a\\+b\\=c,O=Acme\\, Inc");
      // emailAddress is no RFC 2253 keyword: Java writes its OID and DER value (IA5String tag 0x16)
      assertEquals(
        await dn("/CN=carol/emailAddress=c@x.io"),
        "1.2.840.113549.1.9.1=#16066340782e696f,CN=carol",
      );
      assertEquals(await dn("/DC=io/DC=example/CN=dave"), "CN=dave,DC=example,DC=io");
      // UTF-8 values stay as they are
      assertEquals(await dn("/CN=Jürgen"), "CN=Jürgen");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("RFC 2253 value escaping", () => {
  assertEquals(escapeValue(" lead"), "\\ lead");
  assertEquals(escapeValue("trail "), "trail\\ ");
  assertEquals(escapeValue("a b"), "a b");
  assertEquals(escapeValue('#x;y<z>"q"\\'), '\\#x\\;y\\<z\\>\\"q\\"\\\\');
});

Deno.test("mapping rules: Kafka's documented examples and syntax", () => {
  const rules = parsePrincipalRules(
    "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/," +
      "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L," +
      "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L," +
      "DEFAULT",
  );
  assertEquals(rules.length, 4);
  assertEquals(applyPrincipalRules(rules, "CN=kafka-client,OU=ServiceUsers,O=Org"), "kafka-client");
  assertEquals(
    applyPrincipalRules(rules, "CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Santa Clara,ST=CA,C=US"),
    "duke@javasoft",
  );
  assertEquals(applyPrincipalRules(rules, "OU=X,CN=Admin.Two"), "admin.two");
  assertEquals(applyPrincipalRules(rules, "O=NoCn"), "O=NoCn"); // DEFAULT: the DN as is
  // U upper-cases; the default rules keep the DN
  assertEquals(applyPrincipalRules(parsePrincipalRules("RULE:^CN=(.*)$/$1/U"), "CN=abc"), "ABC");
  assertEquals(applyPrincipalRules(parsePrincipalRules("DEFAULT"), "CN=x,O=y"), "CN=x,O=y");
  assertEquals(applyPrincipalRules(parsePrincipalRules(""), "CN=x"), "CN=x");
  // no rule matches (and no DEFAULT): null, the connection fails authentication
  assertEquals(applyPrincipalRules(parsePrincipalRules("RULE:^CN=(.*),O=A$/$1/"), "CN=x,O=B"), null);
  // a pattern must match the whole DN (Java's Matcher.matches())
  assertEquals(applyPrincipalRules(parsePrincipalRules("RULE:CN=x/y/"), "CN=x,O=B"), null);
  // escaped "/" in pattern and replacement, Java's ${name} groups
  assertEquals(applyPrincipalRules(parsePrincipalRules("RULE:^CN=a\\/b$/c\\/d/"), "CN=a/b"), "c/d");
  assertEquals(applyPrincipalRules(parsePrincipalRules("RULE:^CN=(?<n>[^,]+)$/u-${n}/"), "CN=zed"), "u-zed");
  // spaces around rules and commas
  assertEquals(parsePrincipalRules("  RULE:^CN=(.*)$/$1/ ,  DEFAULT ").length, 2);
});

Deno.test("mapping rules: malformed ones are refused, naming the rule", () => {
  for (const bad of ["RULE:^CN=(.*)$/$1", "RULE:^CN=(.*)$/$1/X", "NOTARULE", "DEFAULT,junk", "RULE:([/x/"]) {
    const e = assertThrows(() => parsePrincipalRules(bad), PrincipalRuleError);
    assert(e.message.startsWith("invalid rule"), `${bad}: ${e.message}`);
  }
});

Deno.test({
  name: "SSL authenticator: User:<mapped DN>, ANONYMOUS without a certificate, closed when no rule maps",
  ignore,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-dn-" });
    try {
      const pki = await makePki(dir);
      const cert = await derOf((await issue(pki, "/O=Acme/CN=svc", `${dir}/c`)).cert);
      const listener = { name: "SSL", securityProtocol: "SSL" as const, host: "127.0.0.1", port: 9093 };
      const tls = { protocol: "TLSv1.3", peerCertificate: cert, authorized: true };
      const log = logger("test");
      let failures = 0;
      const plain = sslAuthenticator(parsePrincipalRules("DEFAULT"), log);
      assertEquals(plain.open({ id: 1, remote: "h:1", listener, tls }).principal, {
        type: "User",
        name: "CN=svc,O=Acme",
      });
      const none = plain.open({ id: 2, remote: "h:1", listener, tls: { ...tls, peerCertificate: null } });
      assertEquals(none.principal, { type: "User", name: "ANONYMOUS" });
      const mapped = sslAuthenticator(parsePrincipalRules("RULE:^CN=([^,]+),O=Acme$/$1/U"), log);
      assertEquals(mapped.open({ id: 3, remote: "h:1", listener, tls }).principal.name, "SVC");
      const strict = sslAuthenticator(
        parsePrincipalRules("RULE:^CN=([^,]+),O=Other$/$1/"),
        log,
        () => failures++,
      );
      const refused = strict.open({ id: 4, remote: "h:1", listener, tls });
      assertEquals(refused.intercept?.({} as RequestContext, {}), CLOSE_CONNECTION);
      assertEquals(failures, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
