// Kafka's placement of a group on a `__consumer_offsets` partition: Utils.abs(groupId.hashCode()) %
// offsets.topic.num.partitions, with Java's String.hashCode over UTF-16 code units and Kafka's abs (n & 0x7fffffff).

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The `__consumer_offsets` partition of a group id. */
export function partitionForGroup(groupId: string, partitions: number): number {
  return (javaStringHashCode(groupId) & 0x7fffffff) % partitions;
}
