import { ServerError } from "@colyseus/core";
import { ErrorCode, errorText, type ErrorCode as ErrorCodeName } from "@arena/shared";

/**
 * A refusal with one of the project's error codes, thrown where Colyseus
 * expects its own `ServerError` (onAuth, the matchmaker): Colyseus answers
 * it with its status and its text (`errorText`: "<code>: <sentence>", which
 * clients read back with `parseErrorCode`), and the project's own answers
 * take the code from `errorCode` rather than from the text.
 */
export class ArenaError extends ServerError {
  constructor(
    readonly errorCode: ErrorCodeName,
    detail?: string,
  ) {
    super(ErrorCode[errorCode].status, errorText(errorCode, detail));
  }
}
