// The Kafka cluster id of gateways sharing a SeaweedMQ namespace: one id for all of them, kept in the filer
// (cluster/cluster.id, created exclusively by whichever gateway comes first) rather than in a data directory.
import type { Filer } from "../storage/seaweedmq/transport/filer.ts";
import type { MetaPaths } from "../storage/seaweedmq/meta.ts";

import { randomKafkaUuid } from "../base64.ts";

const NAME = "cluster.id";
const TEXT = new TextEncoder();
const TEXT_DECODER = new TextDecoder();

/** A new cluster id as Kafka makes one (a random Uuid's text). */
export function randomClusterId(): string {
  return randomKafkaUuid();
}

/**
 * The shared cluster id; created from `proposed` (e.g. the id a lone gateway kept locally before, so its clients
 * see no change) when none exists yet.
 */
export async function sharedClusterId(filer: Filer, paths: MetaPaths, proposed: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const e = await filer.lookup(paths.cluster, NAME);
    const id = e ? TEXT_DECODER.decode(e.content).trim() : "";
    if (id !== "") return id;
    if (e !== null) {
      throw new Error(`${paths.cluster}/${NAME} is empty: delete it (a new cluster id is then created)`);
    }
    if (await filer.create(paths.cluster, NAME, TEXT.encode(proposed))) return proposed;
  }
  throw new Error(`${paths.cluster}/${NAME} cannot be read or created`);
}
