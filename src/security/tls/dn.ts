// The subject of an X.509 certificate as Java's X500Principal.getName(RFC2253) writes it, which is what Kafka's
// SSL principal is made of: RDNs last-to-first, joined by ","; the attributes of a multi-valued RDN joined by
// "+" in their encoded order; RFC 2253's keywords (CN, C, L, ST, O, OU, STREET, DC, UID) by name, any other
// attribute as its dotted OID with "#" and the hex of its DER value (so emailAddress shows as
// 1.2.840.113549.1.9.1=#16...). Read from the DER certificate: Node's parsed `subject` loses multi-valued RDNs and
// the order.

/** RFC 2253's attribute keywords, by OID (the only ones Java writes by name). */
const KEYWORDS: ReadonlyMap<string, string> = new Map([
  ["2.5.4.3", "CN"],
  ["2.5.4.6", "C"],
  ["2.5.4.7", "L"],
  ["2.5.4.8", "ST"],
  ["2.5.4.10", "O"],
  ["2.5.4.11", "OU"],
  ["2.5.4.9", "STREET"],
  ["0.9.2342.19200300.100.1.25", "DC"],
  ["0.9.2342.19200300.100.1.1", "UID"],
]);

/** Characters Java's AVA.toRFC2253String escapes with a backslash. */
const ESCAPED = ',=+<>#;"\\';

export class DerError extends Error {
  override name = "DerError";
}

interface Tlv {
  readonly tag: number;
  /** Start of the whole element (tag byte). */
  readonly start: number;
  /** Start and end of the contents. */
  readonly body: number;
  readonly end: number;
}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new DerError("truncated DER element");
  const tag = der[at];
  let len = der[at + 1];
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new DerError("bad DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[body + i];
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new DerError("DER element runs past its parent");
  return { tag, start: at, body, end };
}

/** The elements directly inside a constructed element. */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end;) {
    const t = readTlv(der, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

function oid(der: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06 || t.end === t.body) throw new DerError("expected an OBJECT IDENTIFIER");
  const parts: number[] = [];
  let v = 0;
  for (let i = t.body; i < t.end; i++) {
    v = v * 128 + (der[i] & 0x7f);
    if ((der[i] & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** A directory string's text, or null for a type Java would write as hex. */
function stringValue(der: Uint8Array, t: Tlv): string | null {
  const bytes = der.subarray(t.body, t.end);
  switch (t.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder().decode(bytes);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString (Latin-1 in practice)
    case 0x1a: // VisibleString
      return String.fromCharCode(...bytes);
    case 0x1e: { // BMPString: UTF-16BE
      let s = "";
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
      return s;
    }
    case 0x1c: { // UniversalString: UTF-32BE
      let s = "";
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        s += String.fromCodePoint(
          ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0,
        );
      }
      return s;
    }
    default:
      return null;
  }
}

/** RFC 2253 escaping as Java does it: special characters, a leading or trailing space. */
export function escapeValue(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (ESCAPED.includes(c) || (c === " " && (i === 0 || i === s.length - 1))) out += "\\" + c;
    else out += c;
  }
  return out;
}

function ava(der: Uint8Array, seq: Tlv): string {
  const [type, value] = children(der, seq);
  if (type === undefined || value === undefined) throw new DerError("bad AttributeTypeAndValue");
  const id = oid(der, type);
  const keyword = KEYWORDS.get(id);
  const text = keyword === undefined ? null : stringValue(der, value);
  if (keyword === undefined || text === null) return `${id}=#${hex(der.subarray(value.start, value.end))}`;
  return `${keyword}=${escapeValue(text)}`;
}

/** An X.501 Name (DER SEQUENCE OF RDN) in RFC 2253 form. */
export function nameToRfc2253(der: Uint8Array, name: Tlv): string {
  if (name.tag !== 0x30) throw new DerError("expected a Name");
  const rdns = children(der, name).map((set) => {
    if (set.tag !== 0x31) throw new DerError("expected an RDN SET");
    return children(der, set).map((a) => ava(der, a)).join("+");
  });
  return rdns.reverse().join(",");
}

/** The subject DN of a DER certificate, as Kafka's SSL principal builder sees it. */
export function subjectDn(cert: Uint8Array): string {
  const certificate = readTlv(cert, 0, cert.length);
  if (certificate.tag !== 0x30) throw new DerError("not a certificate");
  const [tbs] = children(cert, certificate);
  if (tbs === undefined || tbs.tag !== 0x30) throw new DerError("no TBSCertificate");
  const fields = children(cert, tbs);
  // [0] version (optional), serialNumber, signature, issuer, validity, subject
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[first + 4];
  if (subject === undefined) throw new DerError("no subject");
  return nameToRfc2253(cert, subject);
}
