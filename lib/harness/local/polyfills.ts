/**
 * Runtime polyfills for the local runner.
 *
 * aws-local-stepfunctions 3 calls `Promise.withResolvers` (ES2024, Node ≥ 22). The project still
 * runs on Node 20, so this module installs a spec-compatible fallback when it is missing.
 * Importing the module installs it; importing it again does nothing.
 */

/** The value `Promise.withResolvers()` returns: a promise and the two functions that settle it. */
export interface PromiseResolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type WithResolvers = <T>() => PromiseResolvers<T>;

/**
 * Installs `Promise.withResolvers` when the runtime lacks it (Node 20).
 *
 * Follows ECMAScript 2024 §27.2.4.8 (`Promise.withResolvers`): returns `{ promise, resolve, reject }`
 * for a new promise built by `this` (so subclasses get their own class).
 *
 * @returns `true` when the polyfill was installed, `false` when the runtime already had it.
 */
export function installPromiseWithResolvers(): boolean {
  const ctor = Promise as unknown as { withResolvers?: WithResolvers };
  if (typeof ctor.withResolvers === 'function') return false;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(this: PromiseConstructor): PromiseResolvers<T> {
      const Ctor = typeof this === 'function' ? this : Promise;
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Ctor<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
  return true;
}

installPromiseWithResolvers();

/**
 * The AWS SDK warns once per process that Node 20 will lose support in 2027. Locally (CLI, tests)
 * that warning only adds noise to every run on this Node 20 toolchain; the Lambdas run on
 * nodejs22.x. Set `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=false` to see it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
