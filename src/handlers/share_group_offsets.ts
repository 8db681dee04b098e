// DescribeShareGroupOffsets (90), AlterShareGroupOffsets (91) and DeleteShareGroupOffsets (92): the admin side of
// share groups' start offsets (served with group.share.enable; `kafka-share-groups --describe`, `--reset-offsets`,
// `--delete-offsets`). The handlers route (NOT_COORDINATOR for a group coordinated elsewhere), ask the coordinator
// whether the group's states may change (alter and delete: a share group without members; delete: one that exists),
// then read or write the states (src/groups/share/share_offsets.ts). Behaviour as Kafka 4.2.2
// (tests/conformance/share_differential_test.ts compares with it and with 4.1.1):
// - describe: per group; INVALID_GROUP_ID for an empty id; a group that does not exist describes no partitions;
//   named topics in the request's order (4.1 put unknown ones first).
// - alter and delete: a refusal is the top-level error with no topics.
import type { Answer, Handler, RequestContext } from "../request/context.ts";
import type {
  AlterShareGroupOffsetsRequest,
  AlterShareGroupOffsetsResponse,
  DeleteShareGroupOffsetsRequest,
  DeleteShareGroupOffsetsResponse,
  DescribedShareGroupOffsets,
  DescribeShareGroupOffsetsRequest,
  DescribeShareGroupOffsetsResponse,
} from "../protocol/messages/share_group_offsets.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ZERO_UUID } from "../protocol/codec.ts";
import { sharesOn } from "../groups/share/service.ts";
import { coordinatedElsewhere } from "./routing.ts";

/** A failure's code and message (a KafkaError's own, else UNKNOWN_SERVER_ERROR). */
function failure(e: unknown): { errorCode: number; errorMessage: string } {
  if (e instanceof KafkaError) return { errorCode: e.code, errorMessage: e.message };
  return {
    errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
    errorMessage: e instanceof Error ? e.message : String(e),
  };
}

/**
 * Runs `change` when the group's states may change here now (its coordinator, no members); a refusal, or a
 * failure of `change`, is answered by `refuse`.
 */
async function whenChangeable<R>(
  ctx: RequestContext,
  groupId: string,
  mustExist: boolean,
  refuse: (errorCode: number, errorMessage: string | null) => R,
  change: () => Promise<R>,
): Promise<R> {
  if (groupId !== "" && coordinatedElsewhere(ctx.broker, groupId)) {
    return refuse(ErrorCode.NOT_COORDINATOR, `Group ${groupId} is not coordinated here.`);
  }
  const check = ctx.broker.coordinator.shareOffsetsChangeable(groupId, mustExist);
  if (check.errorCode !== ErrorCode.NONE) return refuse(check.errorCode, check.errorMessage);
  try {
    return await change();
  } catch (e) {
    const f = failure(e);
    return refuse(f.errorCode, f.errorMessage);
  }
}

export const describeShareGroupOffsetsHandler: Handler<
  DescribeShareGroupOffsetsRequest,
  DescribeShareGroupOffsetsResponse
> = async (ctx, req) => {
  const offsets = sharesOn(ctx.broker.shares).offsets;
  const groups: DescribedShareGroupOffsets[] = [];
  for (const g of req.groups) {
    const fail = (errorCode: number, errorMessage: string | null): DescribedShareGroupOffsets => ({
      groupId: g.groupId,
      topics: [],
      errorCode,
      errorMessage,
    });
    if (g.groupId === "") {
      groups.push(fail(ErrorCode.INVALID_GROUP_ID, "Group ID can't be empty."));
      continue;
    }
    if (coordinatedElsewhere(ctx.broker, g.groupId)) {
      groups.push(fail(ErrorCode.NOT_COORDINATOR, `Group ${g.groupId} is not coordinated here.`));
      continue;
    }
    try {
      const topics = await offsets.describe(g.groupId, g.topics);
      groups.push({
        groupId: g.groupId,
        topics: topics.map((t) => ({
          topicName: t.topicName,
          topicId: t.topicId ?? ZERO_UUID,
          partitions: t.partitions,
        })),
        errorCode: ErrorCode.NONE,
        errorMessage: null,
      });
    } catch (e) {
      const f = failure(e);
      groups.push(fail(f.errorCode, f.errorMessage));
    }
  }
  return { groups };
};

export const alterShareGroupOffsetsHandler: Handler<
  AlterShareGroupOffsetsRequest,
  AlterShareGroupOffsetsResponse
> = async (ctx, req) => {
  const offsets = sharesOn(ctx.broker.shares).offsets;
  const refuse = (
    errorCode: number,
    errorMessage: string | null,
  ): Answer<AlterShareGroupOffsetsResponse> => ({
    errorCode,
    errorMessage,
    responses: [],
  });
  return await whenChangeable(ctx, req.groupId, false, refuse, async () => {
    const topics = await offsets.alter(req.groupId, req.topics);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: topics.map((t) => ({
        topicName: t.topicName,
        topicId: t.topicId ?? ZERO_UUID,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: p.errorCode,
          errorMessage: p.errorMessage,
        })),
      })),
    };
  });
};

export const deleteShareGroupOffsetsHandler: Handler<
  DeleteShareGroupOffsetsRequest,
  DeleteShareGroupOffsetsResponse
> = async (ctx, req) => {
  const offsets = sharesOn(ctx.broker.shares).offsets;
  const refuse = (
    errorCode: number,
    errorMessage: string | null,
  ): Answer<DeleteShareGroupOffsetsResponse> => ({
    errorCode,
    errorMessage,
    responses: [],
  });
  return await whenChangeable(ctx, req.groupId, true, refuse, async () => {
    const topics = await offsets.delete(req.groupId, req.topics.map((t) => t.topicName));
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: topics.map((t) => ({ ...t, topicId: t.topicId ?? ZERO_UUID })),
    };
  });
};
