import { ErrorCodes, IpcError } from '../errors.ts';
import { ownError } from '../protocol/index.ts';
import type { StandardSchemaIssue, StandardSchemaV1 } from '../types/contract.ts';
import type { Handler, RequestContext } from '../types/server.ts';

function refused(method: string, issues: ReadonlyArray<StandardSchemaIssue>): IpcError {
  const first = issues[0];
  const where = first?.path?.length
    ? ` at ${first.path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}`
    : '';
  return ownError(
    new IpcError(
      ErrorCodes.BAD_PARAMS,
      `bad params for "${method}"${where}: ${first?.message ?? 'refused by its schema'}`,
      {
        data: {
          issues: issues.map((i) => ({
            message: i.message,
            path: i.path?.map((p) => (typeof p === 'object' ? p.key : p)),
          })),
        },
      },
    ),
  );
}

/**
 * FN behind SCHEMA: params that do not pass are answered ERR_IPC_BAD_PARAMS
 * (the issues in `data.issues`) and FN never runs; FN gets the schema's output
 * (coerced, defaulted). Synchronous schemas keep a synchronous handler so.
 */
export function validated(method: string, schema: StandardSchemaV1, fn: Handler): Handler {
  const check = (result: Awaited<ReturnType<StandardSchemaV1['~standard']['validate']>>): unknown => {
    if (result.issues !== undefined) throw refused(method, result.issues);
    return result.value;
  };
  return (params: unknown, ctx: RequestContext) => {
    const result = schema['~standard'].validate(params);
    if (result instanceof Promise) return result.then((r) => fn(check(r), ctx));
    return fn(check(result), ctx);
  };
}
