// Client quota entities and keys as Kafka names them (KIP-546). An entity is a user, a client id, both, or an ip;
// a null name is the entity type's default ("<default>"). Each entity holds values for quota keys; which keys an
// entity may hold follows Kafka: the client quotas for user/client-id entities, connection_creation_rate for ip.

export const USER = "user";
export const CLIENT_ID = "client-id";
export const IP = "ip";
export type EntityType = typeof USER | typeof CLIENT_ID | typeof IP;
export const ENTITY_TYPES: readonly EntityType[] = [USER, CLIENT_ID, IP];

export const PRODUCER_BYTE_RATE = "producer_byte_rate";
export const CONSUMER_BYTE_RATE = "consumer_byte_rate";
export const REQUEST_PERCENTAGE = "request_percentage";
export const CONTROLLER_MUTATION_RATE = "controller_mutation_rate";
export const CONNECTION_CREATION_RATE = "connection_creation_rate";

/**
 * Which client quota an API's requests count against, besides request_percentage, which every request counts
 * against (Kafka: Produce's request bytes against producer_byte_rate, Fetch's response bytes against
 * consumer_byte_rate, the topic admin APIs' throttle against controller_mutation_rate). Registered with each API
 * (src/handlers/apis.ts); "request": request_percentage only.
 */
export type QuotaKind = "produce" | "fetch" | "mutation" | "request";

/** Keys for user and client-id entities (Kafka's QuotaConfigs.userAndClientQuotaConfigs()). */
export const CLIENT_KEYS: ReadonlySet<string> = new Set([
  PRODUCER_BYTE_RATE,
  CONSUMER_BYTE_RATE,
  REQUEST_PERCENTAGE,
  CONTROLLER_MUTATION_RATE,
]);
/** Keys for ip entities (QuotaConfigs.ipConfigs()). */
export const IP_KEYS: ReadonlySet<string> = new Set([CONNECTION_CREATION_RATE]);

/**
 * One entity: each type it names with its name (null: the default of that type). A name given as undefined is
 * not part of the entity.
 */
export interface QuotaEntity {
  readonly user?: string | null;
  readonly clientId?: string | null;
  readonly ip?: string | null;
}

export interface EntityComponent {
  readonly entityType: string;
  readonly entityName: string | null;
}

/** An entity and its quota values (key → value). */
export interface QuotaEntry {
  readonly entity: QuotaEntity;
  readonly values: Readonly<Record<string, number>>;
}

/** A stable string naming an entity, one per distinct entity (map keys, the document). */
export function entityKey(e: QuotaEntity): string {
  const part = (t: string, v: string | null | undefined) =>
    v === undefined ? "" : `${t}=${v === null ? "\u0000" : encodeURIComponent(v)};`;
  return part(USER, e.user) + part(CLIENT_ID, e.clientId) + part(IP, e.ip);
}

/** The wire form of an entity, in Kafka's order (user before client-id). */
export function entityComponents(e: QuotaEntity): EntityComponent[] {
  const out: EntityComponent[] = [];
  if (e.user !== undefined) out.push({ entityType: USER, entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: CLIENT_ID, entityName: e.clientId });
  if (e.ip !== undefined) out.push({ entityType: IP, entityName: e.ip });
  return out;
}

/** Why an entity from the wire is not one Kafka accepts, or the entity. */
export function parseEntity(components: readonly EntityComponent[]): QuotaEntity | string {
  const e: { user?: string | null; clientId?: string | null; ip?: string | null } = {};
  if (components.length === 0) return "the entity is empty";
  for (const c of components) {
    const name = c.entityName;
    if (name === "") return `an empty ${c.entityType} name is not allowed`;
    if (c.entityType === USER) {
      if (e.user !== undefined) return "duplicate user entity type";
      e.user = name;
    } else if (c.entityType === CLIENT_ID) {
      if (e.clientId !== undefined) return "duplicate client-id entity type";
      e.clientId = name;
    } else if (c.entityType === IP) {
      if (e.ip !== undefined) return "duplicate ip entity type";
      if (name !== null && !validIp(name)) return `${name} is not a valid IP address`;
      e.ip = name;
    } else {
      return `unknown entity type ${c.entityType}`;
    }
  }
  if (e.ip !== undefined && (e.user !== undefined || e.clientId !== undefined)) {
    return "an ip entity cannot be combined with a user or client-id entity";
  }
  return e;
}

/** Why `key` = `value` is not a quota this entity may hold, or null. */
export function valueProblem(e: QuotaEntity, key: string, value: number): string | null {
  const keys = e.ip !== undefined ? IP_KEYS : CLIENT_KEYS;
  if (!keys.has(key)) {
    return `${key} is not a quota key for ${e.ip !== undefined ? "an ip" : "a user or client-id"} entity`;
  }
  if (!Number.isFinite(value) || value <= 0) return `${key} must be positive, got ${value}`;
  // Kafka's long-valued keys (all but request_percentage and controller_mutation_rate) take whole numbers.
  if (
    (key === PRODUCER_BYTE_RATE || key === CONSUMER_BYTE_RATE || key === CONNECTION_CREATION_RATE) &&
    !Number.isInteger(value)
  ) {
    return `${key} must be a whole number, got ${value}`;
  }
  return null;
}

function validIp(s: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return s.split(".").every((p) => Number(p) <= 255);
  return s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s);
}

/**
 * The entities a request of (user, clientId) is matched against, in Kafka's order of precedence (docs "Quotas":
 * 1 is the most specific). `tags` says which of the two name the rate the entity's quota is enforced on:
 * a user-only quota is shared by every client id of the user, a client-id-only one by every user of the client id.
 */
export const PRECEDENCE: readonly {
  readonly user: "name" | "default" | null;
  readonly clientId: "name" | "default" | null;
}[] = [
  { user: "name", clientId: "name" }, // 1 /config/users/<user>/clients/<client-id>
  { user: "name", clientId: "default" }, // 2 /config/users/<user>/clients/<default>
  { user: "name", clientId: null }, // 3 /config/users/<user>
  { user: "default", clientId: "name" }, // 4 /config/users/<default>/clients/<client-id>
  { user: "default", clientId: "default" }, // 5 /config/users/<default>/clients/<default>
  { user: "default", clientId: null }, // 6 /config/users/<default>
  { user: null, clientId: "name" }, // 7 /config/clients/<client-id>
  { user: null, clientId: "default" }, // 8 /config/clients/<default>
];
