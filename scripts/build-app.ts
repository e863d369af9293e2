/** `npm run build:app`: the contracts (the app imports their ABIs), then the app into app/dist. */
import { buildContracts } from "../contracts/build";
import { buildApp } from "./lib/app";

await buildContracts({ quiet: true });
const started = Date.now();
const out = await buildApp();
console.log(`app: built into ${out} in ${Date.now() - started} ms`);
