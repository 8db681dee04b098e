// The Confluent Schema Registry REST API (--schema-registry-listen), as Confluent's serializers, clients and tools
// call it: /subjects, /schemas, /compatibility, /config, /mode. Answers carry Confluent's content type and error
// bodies ({"error_code": 40401, "message": ...}, HTTP status = the code's first three digits); unknown paths answer
// 404 and known paths with another method 405, as clients probing newer endpoints expect.
//
// Authorization: the guard authenticates each request and answers with its caller, which says what it may do to
// each subject (read, write, delete, alter) and to the registry as a whole (subject null: global config and mode).
// A refused operation answers Confluent's 40301 ("User is denied operation ..."); lists (subjects, schemas, the
// subjects of an id) show only what the caller may read, and a schema id is readable through a subject using it.
import type { Logger } from "../log.ts";
import {
  parseCompatibility,
  parseMode,
  parseVersion,
  RegistryError,
  type SchemaRegistry,
  type SchemaRequest,
} from "./registry.ts";
import { SCHEMA_TYPES, type SchemaReference, type SchemaType } from "./schema_types.ts";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
/** Bodies larger than this are refused (a schema is text; Confluent's default limit is of this order). */
const MAX_BODY = 16 << 20;

function reply(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": CONTENT_TYPE } });
}

function errorReply(code: number, message: string): Response {
  const status = code >= 1000 ? Math.floor(code / 100) : code;
  return reply({ error_code: code, message }, status);
}

class BadRequest extends Error {}

async function body(req: Request): Promise<Record<string, unknown>> {
  const len = Number(req.headers.get("content-length") ?? "0");
  if (len > MAX_BODY) throw new BadRequest(`request body larger than ${MAX_BODY} bytes`);
  const text = await req.text();
  if (text.length > MAX_BODY) throw new BadRequest(`request body larger than ${MAX_BODY} bytes`);
  let v: unknown;
  try {
    v = text.trim() === "" ? {} : JSON.parse(text);
  } catch (e) {
    throw new BadRequest(`malformed JSON: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new BadRequest("expected a JSON object");
  return v as Record<string, unknown>;
}

function references(v: unknown): SchemaReference[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new RegistryError(42201, "Invalid schema: references must be an array");
  return v.map((r) => {
    const o = r as Record<string, unknown>;
    if (
      typeof o !== "object" || o === null || typeof o.name !== "string" || typeof o.subject !== "string" ||
      typeof o.version !== "number" || !Number.isInteger(o.version)
    ) {
      throw new RegistryError(
        42201,
        "Invalid schema: a reference needs name, subject and an integer version",
      );
    }
    return { name: o.name, subject: o.subject, version: o.version };
  });
}

function schemaRequest(b: Record<string, unknown>): SchemaRequest {
  if (typeof b.schema !== "string") {
    throw new RegistryError(42201, "Invalid schema: the schema field is missing");
  }
  const type = b.schemaType === undefined || b.schemaType === null
    ? "AVRO"
    : String(b.schemaType).toUpperCase();
  if (!(SCHEMA_TYPES as readonly string[]).includes(type)) {
    throw new RegistryError(42201, `Invalid schema: unknown schema type ${String(b.schemaType)}`);
  }
  const int = (x: unknown) => typeof x === "number" && Number.isInteger(x) ? x : undefined;
  return {
    schema: b.schema,
    schemaType: type as SchemaType,
    references: references(b.references),
    ...(int(b.id) !== undefined ? { id: int(b.id) } : {}),
    ...(int(b.version) !== undefined ? { version: int(b.version) } : {}),
  };
}

function flag(url: URL, name: string): boolean {
  return url.searchParams.get(name)?.toLowerCase() === "true";
}

function schemaId(s: string): number {
  if (!/^\d+$/.test(s)) throw new RegistryError(40403, `Schema ${s} not found`);
  return Number(s);
}

type Handler = (
  req: Request,
  url: URL,
  params: string[],
  caller: RegistryCaller,
) => Promise<Response> | Response;

/** What a caller does to a subject, or (subject null) to the registry's global config and mode. */
export type SubjectAccess = "read" | "write" | "delete" | "alter";

/** An authenticated caller: whether it may perform `access` on `subject`. */
export interface RegistryCaller {
  may(access: SubjectAccess, subject: string | null): boolean;
}

/** A caller to whom everything is allowed (no authorizer, an operator's token). */
export const ANYONE: RegistryCaller = Object.freeze({ may: () => true });

const DENIED_OPERATION: Record<SubjectAccess, string> = {
  read: "Read",
  write: "Write",
  delete: "Delete",
  alter: "AlterConfigs",
};

/** Throws Confluent's 40301 unless `caller` may perform `access` on `subject`. */
function demand(caller: RegistryCaller, access: SubjectAccess, subject: string | null): void {
  if (!caller.may(access, subject)) {
    throw new RegistryError(
      40301,
      `User is denied operation ${DENIED_OPERATION[access]} on ${
        subject === null ? "the registry" : `Subject: ${subject}`
      }`,
    );
  }
}

/** `h` for callers that may perform `access` on the subject named by the first path parameter. */
function onSubject(access: SubjectAccess, h: Handler): Handler {
  return (q, u, p, c) => {
    demand(c, access, p[0]);
    return h(q, u, p, c);
  };
}

/** `h` for callers that may perform `access` on the registry as a whole (global config and mode). */
function onRegistry(access: SubjectAccess, h: Handler): Handler {
  return (q, u, p, c) => {
    demand(c, access, null);
    return h(q, u, p, c);
  };
}

interface Route {
  /** Path segments; ":" matches one segment (given to the handler, URL-decoded). */
  readonly path: readonly string[];
  readonly methods: Readonly<Record<string, Handler>>;
}

/** Who is calling: the refusal to send (401/403), or the caller and what it may do. */
export type RegistryGuard = (req: Request, remote: string) => Promise<Response | RegistryCaller>;

export class SchemaRegistryHttp {
  private server: Deno.HttpServer<Deno.NetAddr> | null = null;
  private readonly routes: Route[];

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly log: Logger,
    private readonly guard: RegistryGuard | null = null,
  ) {
    this.routes = this.table();
  }

  listen(host: string, port: number): Deno.NetAddr {
    this.server = Deno.serve({ hostname: host, port, onListen: () => {} }, async (req, info) => {
      const caller = this.guard === null ? ANYONE : await this.guard(req, info.remoteAddr.hostname);
      return caller instanceof Response ? caller : await this.handle(req, caller);
    });
    return this.server.addr;
  }

  async close(): Promise<void> {
    await this.server?.shutdown();
    this.server = null;
  }

  /** Serves one request (exported for tests that need no socket). */
  async handle(req: Request, caller: RegistryCaller = ANYONE): Promise<Response> {
    const url = new URL(req.url);
    const segments = url.pathname.split("/").filter((s) => s !== "");
    let decoded: string[];
    try {
      decoded = segments.map((s) => decodeURIComponent(s));
    } catch {
      return errorReply(404, "HTTP 404 Not Found");
    }
    for (const route of this.routes) {
      if (route.path.length !== decoded.length) continue;
      const params: string[] = [];
      if (!route.path.every((p, i) => p === ":" ? (params.push(decoded[i]), true) : p === decoded[i])) {
        continue;
      }
      const h = route.methods[req.method];
      if (!h) return errorReply(405, "HTTP 405 Method Not Allowed");
      try {
        return await h(req, url, params, caller);
      } catch (e) {
        if (e instanceof RegistryError) return errorReply(e.code, e.message);
        if (e instanceof BadRequest) return errorReply(400, e.message);
        this.log.error("schema registry: {method} {path} failed: {reason}", {
          method: req.method,
          path: url.pathname,
          reason: (e as Error).message,
        });
        return errorReply(50001, `Error in the backend data store: ${(e as Error).message}`);
      }
    }
    return errorReply(404, "HTTP 404 Not Found");
  }

  private table(): Route[] {
    const r = this.registry;
    const subjectVersion = (p: string[]) => parseVersion(p[1]);
    const readable = (c: RegistryCaller, subject: string) => c.may("read", subject);
    /** A schema id is readable through any subject (deleted ones too) that uses it. */
    const readableId = async (c: RegistryCaller, id: number) => {
      const uses = await r.usesOf(id, true);
      if (uses.length > 0 && !uses.some((x) => readable(c, x.subject))) {
        throw new RegistryError(40301, `User is denied operation Read on the subjects of schema ${id}`);
      }
    };
    return [
      { path: [], methods: { GET: () => reply({}) } },
      { path: ["schemas", "types"], methods: { GET: () => reply(r.types()) } },
      {
        path: ["schemas"],
        methods: {
          GET: async (_q, u, _p, c) =>
            reply(
              (await r.schemas(
                u.searchParams.get("subjectPrefix") ?? "",
                flag(u, "deleted"),
                flag(u, "latestOnly"),
              )).filter((x) => readable(c, x.subject)),
            ),
        },
      },
      {
        path: ["schemas", "ids", ":"],
        methods: {
          GET: async (_q, u, p, c) => {
            const id = schemaId(p[0]);
            const found = await r.schema(id, u.searchParams.get("format") ?? "");
            await readableId(c, id);
            return reply(found);
          },
        },
      },
      {
        path: ["schemas", "ids", ":", "schema"],
        methods: {
          GET: async (_q, _u, p, c) => {
            const id = schemaId(p[0]);
            const found = await r.schema(id);
            await readableId(c, id);
            return new Response(found.schema, { headers: { "content-type": CONTENT_TYPE } });
          },
        },
      },
      {
        path: ["schemas", "ids", ":", "subjects"],
        methods: {
          GET: async (_q, u, p, c) =>
            reply([
              ...new Set(
                (await r.usesOf(schemaId(p[0]), flag(u, "deleted"))).map((x) => x.subject)
                  .filter((x) => readable(c, x)),
              ),
            ]),
        },
      },
      {
        path: ["schemas", "ids", ":", "versions"],
        methods: {
          GET: async (_q, u, p, c) =>
            reply((await r.usesOf(schemaId(p[0]), flag(u, "deleted"))).filter((x) => readable(c, x.subject))),
        },
      },
      {
        path: ["subjects"],
        methods: {
          GET: async (_q, u, _p, c) =>
            reply(
              (await r.subjects(u.searchParams.get("subjectPrefix") ?? "", flag(u, "deleted")))
                .filter((x) => readable(c, x)),
            ),
        },
      },
      {
        path: ["subjects", ":"],
        methods: {
          POST: onSubject("read", async (q, u, p) =>
            reply(
              await r.lookup(p[0], schemaRequest(await body(q)), flag(u, "normalize"), flag(u, "deleted")),
            )),
          DELETE: onSubject(
            "delete",
            async (_q, u, p) => reply(await r.deleteSubject(p[0], flag(u, "permanent"))),
          ),
        },
      },
      {
        path: ["subjects", ":", "versions"],
        methods: {
          GET: onSubject("read", async (_q, u, p) => reply(await r.versions(p[0], flag(u, "deleted")))),
          POST: onSubject(
            "write",
            async (q, u, p) =>
              reply(await r.register(p[0], schemaRequest(await body(q)), flag(u, "normalize"))),
          ),
        },
      },
      {
        path: ["subjects", ":", "versions", ":"],
        methods: {
          GET: onSubject("read", async (_q, u, p) =>
            reply(
              await r.version(
                p[0],
                subjectVersion(p),
                flag(u, "deleted"),
                u.searchParams.get("format") ?? "",
              ),
            )),
          DELETE: onSubject(
            "delete",
            async (_q, u, p) => reply(await r.deleteVersion(p[0], subjectVersion(p), flag(u, "permanent"))),
          ),
        },
      },
      {
        path: ["subjects", ":", "versions", ":", "schema"],
        methods: {
          GET: onSubject(
            "read",
            async (_q, u, p) =>
              new Response((await r.version(p[0], subjectVersion(p), flag(u, "deleted"))).schema, {
                headers: { "content-type": CONTENT_TYPE },
              }),
          ),
        },
      },
      {
        path: ["subjects", ":", "versions", ":", "referencedby"],
        methods: {
          GET: onSubject("read", async (_q, _u, p) => reply(await r.referencedBy(p[0], subjectVersion(p)))),
        },
      },
      {
        path: ["compatibility", "subjects", ":", "versions"],
        methods: { POST: onSubject("read", (q, u, p) => this.compatible(q, u, p[0], null)) },
      },
      {
        path: ["compatibility", "subjects", ":", "versions", ":"],
        methods: { POST: onSubject("read", (q, u, p) => this.compatible(q, u, p[0], subjectVersion(p))) },
      },
      {
        path: ["config"],
        methods: {
          GET: () => reply({ compatibilityLevel: r.compatibility(null, true) }),
          PUT: onRegistry(
            "alter",
            async (q) => reply({ compatibility: await r.setCompatibility(null, await this.level(q)) }),
          ),
          DELETE: onRegistry(
            "alter",
            async () => reply({ compatibilityLevel: await r.deleteCompatibility(null) }),
          ),
        },
      },
      {
        path: ["config", ":"],
        methods: {
          GET: onSubject(
            "read",
            (_q, u, p) => reply({ compatibilityLevel: r.compatibility(p[0], flag(u, "defaultToGlobal")) }),
          ),
          PUT: onSubject(
            "alter",
            async (q, _u, p) => reply({ compatibility: await r.setCompatibility(p[0], await this.level(q)) }),
          ),
          DELETE: onSubject(
            "alter",
            async (_q, _u, p) => reply({ compatibilityLevel: await r.deleteCompatibility(p[0]) }),
          ),
        },
      },
      {
        path: ["mode"],
        methods: {
          GET: () => reply({ mode: r.mode(null, true) }),
          PUT: onRegistry(
            "alter",
            async (q, u) =>
              reply({ mode: await r.setMode(null, parseMode((await body(q)).mode), flag(u, "force")) }),
          ),
        },
      },
      {
        path: ["mode", ":"],
        methods: {
          GET: onSubject("read", (_q, u, p) => reply({ mode: r.mode(p[0], flag(u, "defaultToGlobal")) })),
          PUT: onSubject(
            "alter",
            async (q, u, p) =>
              reply({ mode: await r.setMode(p[0], parseMode((await body(q)).mode), flag(u, "force")) }),
          ),
          DELETE: onSubject("alter", async (_q, _u, p) => reply({ mode: await r.deleteMode(p[0]) })),
        },
      },
    ];
  }

  private async level(req: Request) {
    const b = await body(req);
    return parseCompatibility(b.compatibility ?? b.compatibilityLevel);
  }

  private async compatible(req: Request, url: URL, subject: string, version: number | "latest" | null) {
    const problems = await this.registry.check(subject, version, schemaRequest(await body(req)));
    return reply({
      is_compatible: problems.length === 0,
      ...(flag(url, "verbose") ? { messages: problems } : {}),
    });
  }
}
