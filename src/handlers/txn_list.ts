// ListTransactions (KIP-664; v1 DurationFilter, KIP-994): the transactions this gateway coordinates, as each Kafka
// broker lists those of its own `__transaction_state` partitions (admin clients ask every broker and merge).
// COORDINATOR_LOAD_IN_PROGRESS while some partition's transactions are loading.
import type { Handler } from "../request/context.ts";
import type {
  ListTransactionsRequest,
  ListTransactionsResponse,
} from "../protocol/messages/list_transactions.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { transactionsOf } from "./txn_common.ts";
import { TXN_STATES } from "../transactions/state.ts";

export const listTransactionsHandler: Handler<ListTransactionsRequest, ListTransactionsResponse> = (
  ctx,
  req,
) => {
  // As Kafka: filters naming no transaction state are echoed back (and match nothing).
  const unknownStateFilters = req.stateFilters.filter((f) => !(TXN_STATES as readonly string[]).includes(f));
  const txns = transactionsOf(ctx.broker);
  if (txns === null) return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: [] }; // none
  const list = txns.list({
    states: req.stateFilters,
    producerIds: req.producerIdFilters,
    durationMs: req.durationFilter ?? -1,
  });
  if (list === null) {
    return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters, transactionStates: [] };
  }
  return {
    errorCode: ErrorCode.NONE,
    unknownStateFilters,
    transactionStates: list.map((t) => ({
      transactionalId: t.transactionalId,
      producerId: t.producerId,
      transactionState: t.state,
    })),
  };
};
