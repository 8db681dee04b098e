// SeaweedMQGroupStore's KIP-848 consumer group records against a real filer: round trip through a second storage
// instance (a restart or another gateway), one record per group id (classic and consumer share the group's file
// and replace each other), deleteGroup, load's filter, and classic files written before consumer groups existed.
import { assertEquals } from "../unit/assert.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { SeaweedMQStorage } from "../../src/storage/seaweedmq/seaweedmq.ts";
import { SeaweedMQGroupStore } from "../../src/storage/seaweedmq/group_store.ts";
import { SmqCluster } from "../../src/storage/seaweedmq/transport/cluster.ts";
import { Filer } from "../../src/storage/seaweedmq/transport/filer.ts";
import { json, MetaPaths, pathName } from "../../src/storage/seaweedmq/meta.ts";
import type { CommittedOffset, LoadedGroupState, StoredGroup } from "../../src/storage/group_store.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const weed = await clusterForModule();

function snapshot(seed: number, length = 300): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

function classic(groupId: string, generationId: number): StoredGroup {
  return {
    groupId,
    protocolType: "consumer",
    protocolName: "range",
    generationId,
    leaderId: "m1",
    currentStateTimestamp: 1_700_000_000_000,
    members: [{
      memberId: "m1",
      groupInstanceId: null,
      clientId: "c",
      clientHost: "/127.0.0.1",
      rebalanceTimeoutMs: 300_000,
      sessionTimeoutMs: 45_000,
      subscription: new Uint8Array([0, 1, 0xff]),
      assignment: new Uint8Array([2, 3]),
    }],
  };
}

function co(partition: number, offset: number): CommittedOffset {
  return {
    topic: "t",
    partition,
    offset,
    leaderEpoch: 1,
    metadata: "",
    commitTimestamp: 1_700_000_000_000,
    expireTimestamp: -1,
  };
}

function recordOf(s: LoadedGroupState, groupId: string) {
  return {
    classic: s.groups.get(groupId)?.generationId ?? null,
    consumer: s.consumerGroups.get(groupId) ?? null,
    offsets: [...(s.offsets.get(groupId)?.values() ?? [])].map((o) =>
      `${o.topic}-${o.partition}@${o.offset}`
    ),
  };
}

if (weed !== null) {
  Deno.test({
    name:
      "seaweedmq consumer group store: round trip, replacement both ways, delete, filter, legacy classic files",
    ...opts,
    fn: async () => {
      const namespace = `cgstore${Date.now() % 100000}`;
      const a = new SeaweedMQStorage({ masters: [weed.master], namespace, log: () => {} });
      const b = new SeaweedMQStorage({ masters: [weed.master], namespace, log: () => {} });
      await a.open();
      await b.open();
      try {
        const wa = a.groupStore();
        const reread = () => b.groupStore().load(); // another instance: nothing cached
        assertEquals((await reread()).consumerGroups.size, 0);

        // Round trip: binary bytes of any value, a big snapshot, an empty one, group ids needing path encoding.
        const big = snapshot(5, 100_000);
        await wa.saveConsumerGroup("cg", snapshot(1));
        await wa.commitOffsets("cg", [co(0, 5)]);
        await wa.saveConsumerGroup("cg/with slash ü", big);
        await wa.saveConsumerGroup("empty", new Uint8Array(0));
        let s = await reread();
        assertEquals(recordOf(s, "cg"), { classic: null, consumer: snapshot(1), offsets: ["t-0@5"] });
        assertEquals(s.consumerGroups.get("cg/with slash ü"), big);
        assertEquals(s.consumerGroups.get("empty"), new Uint8Array(0));

        // Replacement both ways (upgrade, downgrade), offsets untouched.
        await wa.saveGroup(classic("cg", 7));
        s = await reread();
        assertEquals(recordOf(s, "cg"), { classic: 7, consumer: null, offsets: ["t-0@5"] });
        await wa.saveConsumerGroup("cg", snapshot(2));
        s = await reread();
        assertEquals(recordOf(s, "cg"), { classic: null, consumer: snapshot(2), offsets: ["t-0@5"] });

        // load's filter admits only the asked groups.
        const only = await b.groupStore().load((id) => id === "empty");
        assertEquals([...only.consumerGroups.keys()], ["empty"]);
        assertEquals(only.groups.size + only.offsets.size, 0);

        // deleteGroup removes the record and the offsets.
        await wa.deleteGroup("cg");
        await wa.deleteGroup("empty");
        s = await reread();
        assertEquals(recordOf(s, "cg"), { classic: null, consumer: null, offsets: [] });
        assertEquals([...s.consumerGroups.keys()], ["cg/with slash ü"]);

        // A classic group file as written before consumer groups existed (no "kind") still loads as classic, and a
        // damaged consumer record is skipped without hiding the others.
        const cl = new SmqCluster({ masters: [weed.master], rpcTimeoutMs: 10_000, log: () => {} });
        try {
          await cl.refresh();
          const filer = new Filer(cl, 10_000);
          const paths = new MetaPaths(namespace);
          await filer.put(
            paths.groups,
            pathName("legacy"),
            json({
              version: 1,
              groupId: "legacy",
              protocolType: "consumer",
              protocolName: "range",
              generationId: 3,
              leaderId: null,
              currentStateTimestamp: 1,
              members: [],
            }),
          );
          await filer.put(
            paths.groups,
            pathName("broken"),
            json({ version: 1, kind: "consumer", groupId: "broken" }),
          );
          const warnings: string[] = [];
          s = await new SeaweedMQGroupStore(filer, paths, (_level, msg) => warnings.push(msg)).load();
          assertEquals(recordOf(s, "legacy").classic, 3);
          assertEquals(s.consumerGroups.has("broken"), false);
          assertEquals(s.consumerGroups.get("cg/with slash ü"), big);
          assertEquals(warnings.length, 1, warnings.join("\n"));
        } finally {
          cl.close();
        }
      } finally {
        await a.close();
        await b.close();
      }
    },
  });
}
