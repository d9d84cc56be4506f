/**
 * A service's contract, as TypeScript types only: method names mapped to
 * `(params) => result`. A server implements it (`serve<Api>()`), a client calls
 * it (`connect<Api>()`, `call<Api>()`), and a wrong method name, wrong params or
 * a wrong use of the result fails to compile. A method whose result is an
 * `AsyncIterable` streams: `client.stream()` yields its items, `request()`
 * collects them into an array.
 *
 * @example
 * interface KvApi {
 *   get(key: string): string | undefined;
 *   set(entry: { key: string; value: string }): void;
 *   watch(prefix: string): AsyncIterable<{ key: string; value: string }>;
 * }
 * interface KvEvents { changed: { key: string } }
 * const server = await serve<KvApi, KvEvents>(path, { handlers: { get: (key) => store.get(key), ... } });
 * const client = await connect<KvApi, KvEvents>(path);
 * const value = await client.request('get', 'a'); // string | undefined
 */
export type Api = { [method: string]: (params: any) => unknown };

/**
 * What a contract A must be: each of its methods a function of at most one
 * parameter. (A constraint of this shape, rather than `Api`, lets an interface
 * with no index signature be a contract.)
 */
export type ApiOf<A> = { [M in keyof A]: (params: any) => unknown };

/** The contract of a client or server that names none: any method, any params, any result. */
export type AnyApi = { [method: string]: (params?: any) => any };

/** Events a server broadcasts, by name: what each carries. */
export type EventMap = { [event: string]: unknown };

/** The events of a client or server that names none. */
export type AnyEvents = { [event: string]: any };

/** The method names of a contract. */
export type MethodOf<A> = keyof A & string;

type IsAny<T> = 0 extends 1 & T ? true : false;

/** Whether T is a contract (methods mapped to functions) rather than a plain result type. */
export type IsContract<T> =
  IsAny<T> extends true
    ? false
    : T extends object
      ? T extends readonly unknown[]
        ? false
        : keyof T extends never
          ? false
          : T extends ApiOf<T>
            ? true
            : false
      : false;

/** T, without letting a call infer a type parameter from it (as TypeScript 5.4's NoInfer, for older compilers too). */
export type NoInfer<T> = [T][T extends any ? 0 : never];
type FirstParam<F> = F extends (...args: infer P) => any ? (P['length'] extends 0 ? undefined : P[0]) : never;
type Returned<F> = F extends (...args: any) => infer R ? R : never;

/** What method F takes. */
export type ParamsOf<F> = FirstParam<F>;

/** What `request()` resolves with for method F: its result, or a stream's items collected. */
export type ResultOf<F> =
  IsAny<Returned<F>> extends true
    ? any
    : Awaited<Returned<F>> extends AsyncIterable<infer Item>
      ? Item[]
      : Awaited<Returned<F>>;

/** What `stream()` yields for method F: a stream's items (a plain result arrives as a stream of one). */
export type ItemOf<F> =
  IsAny<Returned<F>> extends true
    ? any
    : Awaited<Returned<F>> extends AsyncIterable<infer Item>
      ? Item
      : Awaited<Returned<F>>;

/**
 * The arguments after the method name: params (optional when the method takes
 * none or accepts undefined) and then OPTIONS.
 */
export type ArgsOf<F, Options> =
  IsAny<FirstParam<F>> extends true
    ? [params?: any, options?: Options]
    : undefined extends FirstParam<F>
      ? [params?: FirstParam<F>, options?: Options]
      : [params: FirstParam<F>, options?: Options];

/** How a server implements method F: its params, the request's context, and its result (or a promise of it). */
export type HandlerOf<F, Ctx> = (
  params: FirstParam<F>,
  ctx: Ctx,
) => Returned<F> | Awaited<Returned<F>> | Promise<Awaited<Returned<F>>>;

/**
 * A Standard Schema (https://standardschema.dev): zod, valibot, arktype and
 * others implement it. unixipc checks a method's params with one when given,
 * without depending on any of them.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What a Standard Schema's `validate` returns. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}
