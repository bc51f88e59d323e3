import Module from 'node:module';

/** One function as the app registered it with the Functions worker. */
export interface RegisteredFunction {
  readonly name: string;
  readonly bindings: Readonly<Record<string, BindingMetadata>>;
  readonly handler: (...args: unknown[]) => unknown;
}

/** A binding as `@azure/functions` describes it to the host (the function.json equivalent). */
export interface BindingMetadata {
  readonly type: string;
  readonly direction: 'in' | 'out';
  readonly [setting: string]: unknown;
}

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

const registered = new Map<string, RegisteredFunction>();
let installed = false;

/**
 * Stands in for the Node worker's `@azure/functions-core` module, the one channel through which
 * `@azure/functions` (and so `durable-functions`) registers functions with the host. Call it
 * before anything imports `@azure/functions`: the package looks the module up once.
 */
export function installFunctionsCore(): ReadonlyMap<string, RegisteredFunction> {
  if (installed) return registered;
  installed = true;
  const core = {
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerHook: () => ({ dispose: () => undefined }),
    log: () => undefined,
    registerFunction(
      metadata: { name: string; bindings: Record<string, BindingMetadata> },
      handler: (...args: unknown[]) => unknown,
    ) {
      if (registered.has(metadata.name))
        throw new Error(`function "${metadata.name}" was registered twice`);
      registered.set(metadata.name, { name: metadata.name, bindings: metadata.bindings, handler });
      return { dispose: () => registered.delete(metadata.name) };
    },
  };
  const moduleWithLoader = Module as unknown as { _load: Loader };
  const load = moduleWithLoader._load;
  moduleWithLoader._load = function (request, parent, isMain) {
    if (request === '@azure/functions-core') return core;
    return load.call(this, request, parent, isMain);
  };
  return registered;
}

/** The registered function of this name, or an error naming the ones that exist. */
export function registeredFunction(name: string): RegisteredFunction {
  const found = registered.get(name);
  if (found === undefined)
    throw new Error(`no function "${name}"; registered: ${[...registered.keys()].join(', ')}`);
  return found;
}

/** The trigger binding of a registered function. */
export function triggerOf(fn: RegisteredFunction): BindingMetadata {
  const trigger = Object.values(fn.bindings).find(
    (b) => b.direction === 'in' && b.type.endsWith('Trigger'),
  );
  if (trigger === undefined) throw new Error(`function "${fn.name}" has no trigger`);
  return trigger;
}
