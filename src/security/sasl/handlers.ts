// SaslHandshake and SaslAuthenticate as registered APIs. On a SASL listener the connection's authenticator
// answers both before any handler runs (authenticator.ts); these handlers answer them where no SASL exchange
// exists (PLAINTEXT and SSL listeners), as KafkaApis does: ILLEGAL_SASL_STATE.
import { ErrorCode } from "../../protocol/errors.ts";
import type { Handler } from "../../request/context.ts";
import type { SaslHandshakeRequest, SaslHandshakeResponse } from "../../protocol/messages/sasl_handshake.ts";
import type {
  SaslAuthenticateRequest,
  SaslAuthenticateResponse,
} from "../../protocol/messages/sasl_authenticate.ts";

export const saslHandshakeHandler: Handler<SaslHandshakeRequest, SaslHandshakeResponse> = () => ({
  errorCode: ErrorCode.ILLEGAL_SASL_STATE,
  mechanisms: [],
});

export const saslAuthenticateHandler: Handler<SaslAuthenticateRequest, SaslAuthenticateResponse> = (ctx) => ({
  errorCode: ErrorCode.ILLEGAL_SASL_STATE,
  errorMessage:
    `SaslAuthenticate request received on listener ${ctx.listener.name} (${ctx.listener.securityProtocol}), which does not use SASL`,
  authBytes: new Uint8Array(0),
  sessionLifetimeMs: 0,
});
