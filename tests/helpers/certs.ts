// Test certificates made with the openssl CLI: a CA, a server certificate for localhost/127.0.0.1 and client
// certificates with any subject, all v3 (rustls refuses v1 certificates).
import { requireTool } from "./tools.ts";

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Skips the test module's real-client tests when openssl is missing (.ci/run installs it). */
export const opensslTool = await requireTool("openssl", "openssl", ["version"]);

/** A CA (CN=<caName>) and a server certificate it signed, in `dir`. */
export async function makePki(dir: string, caName = "kgw-test-ca", prefix = ""): Promise<TestPki> {
  const p = (n: string) => `${dir}/${prefix}${n}`;
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-days",
    "2",
    "-subj",
    `/CN=${caName}`,
  ]);
  const pki = {
    dir,
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
  };
  await issue(pki, "/CN=localhost", p("server"), "serverAuth", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  return pki;
}

/**
 * Issues a certificate for `subject` (openssl's /A=b/C=d form, "+" between the attributes of one RDN) signed by the
 * CA: writes <base>.crt and <base>.key; returns the paths.
 */
export async function issue(
  pki: Pick<TestPki, "dir" | "caCert" | "caKey">,
  subject: string,
  base: string,
  usage: "clientAuth" | "serverAuth" = "clientAuth",
  extra = "",
): Promise<{ cert: string; key: string }> {
  const ext = `${base}.ext`;
  await Deno.writeTextFile(
    ext,
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=${usage}\n${extra}\n`,
  );
  await openssl(pki.dir, [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${base}.key`,
    "-out",
    `${base}.csr`,
    "-subj",
    subject,
    "-multivalue-rdn",
    "-utf8",
  ]);
  await openssl(pki.dir, [
    "x509",
    "-req",
    "-in",
    `${base}.csr`,
    "-CA",
    pki.caCert,
    "-CAkey",
    pki.caKey,
    "-CAcreateserial",
    "-out",
    `${base}.crt`,
    "-days",
    "2",
    "-extfile",
    ext,
  ]);
  return { cert: `${base}.crt`, key: `${base}.key` };
}

/** The DER bytes of a PEM certificate file. */
export async function derOf(pemFile: string): Promise<Uint8Array> {
  const pem = await Deno.readTextFile(pemFile);
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
