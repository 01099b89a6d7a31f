/**
 * Every chart whose actors emit domain events runs `attachObserver` as its root entry action,
 * before any other. HangarRuntime provides one that subscribes the domain-event bus to the new
 * actor; the chart's own does nothing (a chart walked alone in a test has no bus; it is written
 * `enqueueActions(() => undefined)` because a bare function there upsets xstate's inference of
 * the other actions' params). A spawned actor runs its entry actions when it starts, in order,
 * and delivers what it emits only after them — so the bus hears every actor (providers restarted
 * by recovery, sagas, groups, discovery) from its first event, at no cost per step. (xstate's
 * `inspect` hook, which did this before, makes every actor build an inspection event for every
 * step, event and action.)
 */
export const ATTACH_OBSERVER = "attachObserver";
