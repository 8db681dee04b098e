// SASL PLAIN (RFC 4616): one message "[authzid] NUL authcid NUL passwd", checked against the SCRAM credential
// store (the password is hashed with the stored salt and iterations and compared with StoredKey), so one store
// serves PLAIN and SCRAM and no password is kept anywhere.

/** Why a PLAIN message was refused: for the log (the client gets Kafka's fixed message). */
export class PlainError extends Error {
  override name = "PlainError";
}

export interface PlainMessage {
  readonly authzid: string;
  readonly user: string;
  readonly password: string;
}

const dec = new TextDecoder("utf-8", { fatal: true });

/** Parses a PLAIN message; throws PlainError on anything malformed (the password never appears in a message). */
export function parsePlain(token: Uint8Array): PlainMessage {
  let s: string;
  try {
    s = dec.decode(token);
  } catch {
    throw new PlainError("message is not UTF-8");
  }
  const parts = s.split("\0");
  if (parts.length !== 3) throw new PlainError("expected authzid NUL user NUL password");
  const [authzid, user, password] = parts;
  if (user === "") throw new PlainError("empty user name");
  if (password === "") throw new PlainError("empty password");
  if (authzid !== "" && authzid !== user) {
    throw new PlainError("requested an authorization id different from the user name");
  }
  return { authzid, user, password };
}
