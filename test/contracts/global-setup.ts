import { buildContracts } from "../../contracts/build";

// The contract suites import contracts/out/*; build (or confirm up to date) once per run.
export default function setup(): void {
  buildContracts({ quiet: true });
}
