import { fromCallback, type AnyEventObject, type CallbackLogicFunction, type EventObject } from "xstate";

/** What the body leaves to run when the actor stops. */
type Cleanup = (() => void) | undefined;

export type CallbackParams<TEvent extends EventObject, TInput> = Parameters<CallbackLogicFunction<TEvent, AnyEventObject, TInput>>[0];

/**
 * A callback actor whose body needs a heavy library (the Kubernetes client alone is ~50 MB
 * resident): the library is imported when the first such actor starts — never at the hangar's
 * start-up, so a config without that feature never pays for it. Until the import settles,
 * events the actor receives wait, in order, for the body's own `receive`; an actor stopped
 * meanwhile never runs its body. A library that cannot be loaded runs `onLoadError` in the
 * body's place (it receives the waiting events the same way).
 */
export function deferredCallback<TModule, TEvent extends EventObject, TInput>(
  load: () => Promise<TModule>,
  body: (module: TModule, params: CallbackParams<TEvent, TInput>) => Cleanup,
  onLoadError: (error: unknown, params: CallbackParams<TEvent, TInput>) => Cleanup,
) {
  return fromCallback<TEvent, TInput>(deferredBody(load, body, onLoadError));
}

/** deferredCallback's body alone, for a caller that picks between bodies (the provider connection by mode). */
export function deferredBody<TModule, TEvent extends EventObject, TInput>(
  load: () => Promise<TModule>,
  body: (module: TModule, params: CallbackParams<TEvent, TInput>) => Cleanup,
  onLoadError: (error: unknown, params: CallbackParams<TEvent, TInput>) => Cleanup,
): CallbackLogicFunction<TEvent, AnyEventObject, TInput> {
  return (params) => {
    let stopped = false;
    let cleanup: Cleanup;
    let listener: ((event: TEvent) => void) | undefined;
    const waiting: TEvent[] = [];
    params.receive((event) => {
      if (listener === undefined) waiting.push(event);
      else listener(event);
    });
    const receive = (handler: (event: TEvent) => void): void => {
      listener = handler;
    };
    const run = (start: () => Cleanup): void => {
      if (stopped) return;
      cleanup = start();
      for (const event of waiting.splice(0)) listener?.(event);
    };
    load().then(
      (module) => {
        run(() => body(module, { ...params, receive }));
      },
      (error: unknown) => {
        run(() => onLoadError(error, { ...params, receive }));
      },
    );
    return () => {
      stopped = true;
      cleanup?.();
    };
  };
}
