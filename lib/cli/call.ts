import { call as callOnce } from '../client/call.ts';

/** `unixipc call ENDPOINT METHOD [JSON]`: one request, the JSON result on stdout. */
export async function call(
  args: string[],
  options: { timeout: number; token?: string | undefined },
): Promise<number> {
  const [endpoint, method, params] = args;
  if (endpoint === undefined || method === undefined)
    throw new TypeError('usage: unixipc call ENDPOINT METHOD [JSON]');
  let value: unknown;
  try {
    value = params === undefined ? undefined : JSON.parse(params);
  } catch {
    throw new TypeError(`params must be JSON: ${params}`);
  }
  const result = await callOnce(endpoint, method, value, {
    timeout: options.timeout,
    connectTimeout: options.timeout,
    token: options.token,
  });
  process.stdout.write(
    `${Buffer.isBuffer(result) ? result.toString('base64') : JSON.stringify(result ?? null)}\n`,
  );
  return 0;
}
