/** The root supervisor's systemId: providers and sagas reach it with `system.get` (never by holding a reference). */
export const SUPERVISOR_SYSTEM_ID = "hangar";
