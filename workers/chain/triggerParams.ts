/**
 * The trigger kinds' parameter and proof encoders under the names the contract suites
 * (test/contracts/, maintained alongside the contracts) import from here. Each is its kind's own,
 * in workers/triggers/<kind>.ts; new code imports them from there.
 */
export { encodeAllOfParams, encodeAllOfProof, type AllOfParams } from "../triggers/allOf";
export { encodeDepegParams, encodeDepegProof, type DepegParams } from "../triggers/depeg";
export { encodePausedParams, type PausedParams } from "../triggers/paused";
export { encodeTvlDropParams, encodeTvlDropProof, type TvlDropParams } from "../triggers/tvlDrop";
