// Kafka's placement of a group on a `__consumer_offsets` partition: Utils.abs(groupId.hashCode()) %
// offsets.topic.num.partitions, with Java's String.hashCode over UTF-16 code units and Kafka's Utils.abs (Math.abs,
// except Integer.MIN_VALUE -> 0; masking the sign bit instead would put negative hashes on other partitions).

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The `__consumer_offsets` partition of a group id. */
export function partitionForGroup(groupId: string, partitions: number): number {
  const h = javaStringHashCode(groupId);
  return (h === -0x80000000 ? 0 : Math.abs(h)) % partitions;
}
