// Online conversions between a classic group and a consumer group (KIP-848's upgrade and downgrade paths, as
// Kafka's GroupMetadataManager convertToConsumerGroup / convertToClassicGroup), allowed by
// group.consumer.migration.policy:
// - upgrade: a ConsumerGroupHeartbeat joining a classic group whose members use the "consumer" protocol type
//   converts it — each member keeps its assignment (assigned = target, Stable at the classic generation, which
//   becomes the group epoch) and its classic session; members waiting in JoinGroup/SyncGroup are told
//   REBALANCE_IN_PROGRESS. The joining member bumps the group epoch, so the classic members rejoin (now into the
//   consumer group) and reconcile. An Empty classic group is simply replaced. Refused (policy, another protocol
//   type, more members than group.consumer.max.size, unreadable subscriptions): GROUP_ID_NOT_FOUND.
// - downgrade: when the last consumer-protocol member leaves (or is fenced) and classic members remain, the group
//   becomes a classic group (generation = the group epoch, each member's target assignment as its assignment) and
//   rebalances, so the classic members rejoin it. When a classic static member replaces the last consumer-protocol
//   member (same group.instance.id), the group becomes classic first and the JoinGroup is then the classic
//   module's static rejoin: it takes over the replaced member's assignment without a rebalance.
// Both conversions write the new kind's record, which replaces the old one in the GroupStore.
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import { EMPTY, Group, Member } from "../classic/group.ts";
import { prepareRebalance } from "../classic/rebalance.ts";
import type { JoinArgs } from "../classic/join.ts";
import {
  CONSUMER_PROTOCOL_TYPE,
  type ConsumerAssignment,
  ConsumerProtocolError,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
} from "./consumer_protocol.ts";
import {
  type ConvertedMember,
  encodeAssignmentFor,
  type MigrationPolicy,
  type MixedEnv,
  type MixedGroup,
  ownedByName,
} from "./classic_members.ts";

export function upgradeEnabled(p: MigrationPolicy): boolean {
  return p === "bidirectional" || p === "upgrade";
}

export function downgradeEnabled(p: MigrationPolicy): boolean {
  return p === "bidirectional" || p === "downgrade";
}

function classicCount(group: MixedGroup): number {
  let n = 0;
  for (const m of group.members.values()) if (m.classic !== null) n++;
  return n;
}

/** Kafka's allMembersUseClassicProtocolExcept: `memberId` uses the consumer protocol, every other member not. */
function allClassicExcept(group: MixedGroup, memberId: string): boolean {
  const m = group.members.get(memberId);
  return m !== undefined && m.classic === null && classicCount(group) === group.members.size - 1;
}

// ---------------------------------------------------------------- upgrade (classic -> consumer)

/**
 * A ConsumerGroupHeartbeat joins (epoch 0) a group id that is a classic group: the consumer group it becomes,
 * registered in place of the classic group (not yet persisted: the heartbeat's write stores it). Throws
 * KafkaError GROUP_ID_NOT_FOUND when the group may not be converted.
 */
export function upgradeClassicGroup<G extends MixedGroup>(env: MixedEnv<G>, classic: Group): G {
  const groupId = classic.groupId;
  if (classic.is("Empty") || classic.is("Dead")) {
    // Nothing to carry over (committed offsets stay where they are).
    env.classic.remove(groupId);
    env.log.info("empty classic group {group} becomes a consumer group", { group: groupId });
    return env.adoptConverted(groupId, 0, []);
  }
  const refuse = (why: string): never => {
    env.log.info("cannot upgrade classic group {group} to a consumer group: {why}", { group: groupId, why });
    throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
  };
  if (!upgradeEnabled(env.opts.migrationPolicy)) refuse("the online upgrade is disabled");
  if (classic.protocolType !== CONSUMER_PROTOCOL_TYPE) {
    refuse(`the group does not use the consumer embedded protocol (${classic.protocolType})`);
  }
  if (classic.members.size > env.opts.consumerMaxSize) {
    refuse("the group size exceeds the consumer group maximum size");
  }
  let members: ConvertedMember[];
  try {
    members = [...classic.members.values()].map((m) => convertMember(env, classic, m));
  } catch (e) {
    if (!(e instanceof ConsumerProtocolError)) throw e;
    env.log.info("cannot upgrade classic group {group}: {reason}", { group: groupId, reason: e.message });
    throw new KafkaError(
      ErrorCode.GROUP_ID_NOT_FOUND,
      `Cannot upgrade the classic group ${groupId} to consumer group because the embedded consumer protocol is ` +
        "malformed.",
    );
  }
  // Members waiting in a rebalance are told to rejoin: the consumer group takes it from here.
  for (const m of classic.members.values()) {
    m.awaitingJoin?.({
      errorCode: ErrorCode.REBALANCE_IN_PROGRESS,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: "",
      memberId: m.memberId,
      skipAssignment: false,
      members: [],
    });
    m.awaitingJoin = null;
    m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    m.awaitingSync = null;
  }
  const epoch = classic.generationId;
  env.classic.remove(groupId);
  const group = env.adoptConverted(groupId, epoch, members);
  env.log.info("classic group {group} upgraded to a consumer group at epoch {epoch} with {n} members", {
    group: groupId,
    epoch,
    n: members.length,
  });
  return group;
}

function convertMember<G extends MixedGroup>(env: MixedEnv<G>, classic: Group, m: Member): ConvertedMember {
  // The chosen protocol's subscription (the first one's before any protocol was chosen).
  const metadata = classic.protocolName !== null
    ? m.metadataFor(classic.protocolName)
    : m.protocols[0]?.metadata ?? EMPTY;
  const subscription = decodeConsumerSubscription(metadata);
  // A member that has no assignment yet (a rebalance in progress) starts with none.
  const assignment: ConsumerAssignment = m.assignment.length === 0
    ? { partitions: [], userData: null }
    : decodeConsumerAssignment(m.assignment);
  return {
    memberId: m.memberId,
    instanceId: m.groupInstanceId,
    rackId: subscription.rackId,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: subscription.topics,
    assigned: ownedByName(env.topics, assignment.partitions),
    classic: { sessionTimeoutMs: m.sessionTimeoutMs, protocols: m.protocols },
  };
}

// ---------------------------------------------------------------- downgrade (consumer -> classic)

/**
 * Kafka's validateOnlineDowngradeWithFencedMember: the consumer-protocol member leaving is the last one, classic
 * members remain, the policy allows it and they fit in a classic group.
 */
export function validateDowngradeWithFencedMember(
  env: MixedEnv<MixedGroup>,
  group: MixedGroup,
  leavingMemberId: string,
): boolean {
  if (!allClassicExcept(group, leavingMemberId) || group.members.size <= 1) return false;
  if (!downgradeEnabled(env.opts.migrationPolicy)) {
    const msg =
      "cannot downgrade consumer group {group} to a classic group: the online downgrade is disabled";
    env.log.info(msg, { group: group.groupId });
    return false;
  }
  if (group.members.size - 1 > env.opts.classicMaxSize) {
    const msg =
      "cannot downgrade consumer group {group} to a classic group: more members than group.max.size";
    env.log.info(msg, { group: group.groupId });
    return false;
  }
  return true;
}

/** Kafka's validateOnlineDowngradeWithReplacedMemberId: a classic static member replaces the last consumer one. */
export function validateDowngradeWithReplacedMember(
  env: MixedEnv<MixedGroup>,
  group: MixedGroup,
  replacedMemberId: string,
): boolean {
  if (!allClassicExcept(group, replacedMemberId)) return false;
  if (!downgradeEnabled(env.opts.migrationPolicy)) return false;
  return group.members.size <= env.opts.classicMaxSize;
}

/**
 * The classic group made of the consumer group's classic members (all but `leavingMemberId`), Stable at the
 * group epoch with each member's target assignment, registered in place of the consumer group (which is
 * dropped) and persisted in the background (`stored` settles once the write is issued). `replacement`: a classic
 * static member's JoinGroup replacing the leaving (static, consumer-protocol) member — the leaving member stays in
 * the classic group under its id, with the joining member's protocols, so that the classic module's static rejoin
 * hands its assignment over.
 */
export function convertToClassicGroup<G extends MixedGroup>(
  env: MixedEnv<G>,
  group: G,
  leavingMemberId: string,
  replacement: JoinArgs | null,
): { classic: Group; stored: Promise<void> } {
  const classic = new Group(group.groupId, env.classic);
  classic.generationId = group.groupEpoch;
  classic.protocolType = CONSUMER_PROTOCOL_TYPE;
  const added: Member[] = [];
  for (const m of group.members.values()) {
    let member: Member;
    if (m.memberId === leavingMemberId) {
      if (replacement === null) continue;
      member = new Member(
        m.memberId,
        m.instanceId,
        m.clientId,
        m.clientHost,
        replacement.rebalanceTimeoutMs,
        replacement.sessionTimeoutMs,
        CONSUMER_PROTOCOL_TYPE,
        replacement.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })),
      );
    } else {
      member = new Member(
        m.memberId,
        m.instanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeoutMs,
        m.classic!.sessionTimeoutMs,
        CONSUMER_PROTOCOL_TYPE,
        m.classic!.protocols,
      );
    }
    classic.add(member, member.sessionTimeoutMs);
    added.push(member);
  }
  classic.protocolName = classic.selectProtocol();
  for (const member of added) {
    const chosen = classic.protocolName;
    const version = [{ name: chosen, metadata: member.metadataFor(chosen) }];
    member.assignment = encodeAssignmentFor(env.topics, group.targetOf(member.memberId), version);
  }
  classic.refreshSubscribedTopics();
  // The classic group is Stable (Kafka builds it so); the state timestamp is now.
  classic.state = "Stable";
  classic.stateTimestamp = env.clock.now();
  env.classic.groups.set(group.groupId, classic);
  // Written once the consumer group's writes in flight are done (then of the classic group's state at that time).
  const stored = env.dropGroup(group.groupId).catch(() => {}).then(() => {
    if (env.classic.groups.get(classic.groupId) === classic) env.classic.persist(classic);
  });
  env.log.info("consumer group {group} downgraded to a classic group in generation {gen} with {n} members", {
    group: group.groupId,
    gen: classic.generationId,
    n: added.length,
  });
  return { classic, stored };
}

/**
 * The consumer-protocol member `leavingMemberId` is about to be removed (it left, or its session or rebalance
 * timeout passed). When it is the last one and the policy allows, the group becomes a classic group without it
 * and rebalances; true then (the caller must not touch the consumer group any more).
 */
export function maybeDowngrade<G extends MixedGroup>(
  env: MixedEnv<G>,
  group: G,
  leavingMemberId: string,
): boolean {
  if (!validateDowngradeWithFencedMember(env, group, leavingMemberId)) return false;
  const { classic } = convertToClassicGroup(env, group, leavingMemberId, null);
  prepareRebalance(env.classic, classic, `downgrade of group ${classic.groupId} from consumer to classic`);
  return true;
}
