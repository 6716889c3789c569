/** `npm run sweep -- --preset <name> …` (see --help). */
import { cliMain } from "../src/experiment/cli";

cliMain("sweep");
