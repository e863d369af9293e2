import type { Caller } from "./auth";

/** Bindings and variables the Worker receives; declared in bindings.d.ts. */
export type Env = Cloudflare.Env;

export type AppEnv = { Bindings: Env; Variables: { caller?: Caller } };
