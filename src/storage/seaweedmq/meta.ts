// Where the gateway keeps, in the filer, what SeaweedMQ itself has no place for. Compatible with SeaweedFS's own
// Kafka gateway where that gateway defines a layout (committed offsets); the rest lives in a directory of ours.
//
//   /topics/<ns>/.meta/consumer_offsets/<group>/<topic>/<partition>/offset   committed offsets (SeaweedFS layout)
//   /topics/<ns>/.meta/kafka_gateway/groups/<group>                           group metadata (JSON)
//   /topics/<ns>/.meta/kafka_gateway/topics/<topic>                           topic configs, DeleteRecords (JSON)
//   /topics/<ns>/.meta/kafka_gateway/broker_configs                           dynamic broker configs (JSON)
//   /topics/<ns>/.meta/kafka_gateway/producer_ids/<block>                     producer-id blocks (create-exclusive)
//   /topics/<ns>/.meta/kafka_gateway/producer_state/<topic>/<partition>       idempotent-producer snapshots
//   /topics/<ns>/.meta/kafka_gateway/leader_epochs/<topic>/<partition>        leader epoch history (JSON)
//   /topics/<ns>/.meta/kafka_gateway/cluster/cluster.id                       Kafka cluster id (create-exclusive)
//   /topics/<ns>/.meta/kafka_gateway/cluster/members/<nodeId>                 gateway leases (JSON, src/cluster)
//   /topics/<ns>/.meta/kafka_gateway/cluster/assignment                       partition leaders (JSON, versioned)
//
// A directory under /topics/<ns> is a topic only if it holds topic.conf, so ".meta" never shows up as a topic.

const ENCODED = "~kgw~";
const TEXT = new TextEncoder();
const TEXT_DECODER = new TextDecoder();

/**
 * A group or topic name as one path component: verbatim (as SeaweedFS's gateway writes it) unless it cannot be
 * one (contains "/", is empty, "." or ".."), or could be mistaken for an encoded name; then "~kgw~" + hex.
 */
export function pathName(name: string): string {
  if (name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.startsWith(ENCODED)) {
    return name;
  }
  return ENCODED + Array.from(TEXT.encode(name), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromPathName(component: string): string {
  if (!component.startsWith(ENCODED)) return component;
  const hex = component.slice(ENCODED.length);
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return TEXT_DECODER.decode(bytes);
}

export class MetaPaths {
  readonly base: string;
  readonly consumerOffsets: string;
  readonly ours: string;

  constructor(readonly namespace: string) {
    this.base = `/topics/${namespace}/.meta`;
    this.consumerOffsets = `${this.base}/consumer_offsets`;
    this.ours = `${this.base}/kafka_gateway`;
  }

  get groups(): string {
    return `${this.ours}/groups`;
  }
  get topics(): string {
    return `${this.ours}/topics`;
  }
  get producerIds(): string {
    return `${this.ours}/producer_ids`;
  }
  /** Directory of the gateways' cluster state: cluster id, member leases, the assignment document. */
  get cluster(): string {
    return `${this.ours}/cluster`;
  }
  get members(): string {
    return `${this.cluster}/members`;
  }
  get leaderEpochs(): string {
    return `${this.ours}/leader_epochs`;
  }
  /** Directory holding one leader-epoch history file per partition of the topic. */
  leaderEpochDir(topic: string): string {
    return `${this.leaderEpochs}/${pathName(topic)}`;
  }
  producerState(topic: string): string {
    return `${this.ours}/producer_state/${pathName(topic)}`;
  }
  offsetDir(group: string, topic: string, partition: number): string {
    return `${this.consumerOffsets}/${pathName(group)}/${pathName(topic)}/${partition}`;
  }
}

export function json(v: unknown): Uint8Array {
  return TEXT.encode(JSON.stringify(v));
}

export function parseJson(b: Uint8Array): unknown {
  return JSON.parse(TEXT_DECODER.decode(b));
}
