// The topic metadata consumer groups read, over the storage's topic table (in memory, kept current by the backend).
import type { Storage } from "../../storage/storage.ts";
import type { TopicInfo, TopicsView } from "./contract.ts";

export function storageTopics(
  storage: Pick<Storage, "getTopic" | "getTopicById" | "listTopics">,
): TopicsView {
  const info = (t: { name: string; id: string; partitions: number } | undefined): TopicInfo | undefined =>
    t === undefined ? undefined : { id: t.id, name: t.name, partitions: t.partitions };
  return {
    byName: (name) => info(storage.getTopic(name)),
    byId: (id) => info(storage.getTopicById(id)),
    *names() {
      // Internal topics (`__consumer_offsets`, ...) never match a subscription pattern, as in Kafka.
      for (const t of storage.listTopics()) if (!t.name.startsWith("__")) yield t.name;
    },
  };
}
