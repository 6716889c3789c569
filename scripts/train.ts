/** `npm run train -- --preset <name> --optimizer <name> …` (see --help). */
import { cliMain } from "../src/experiment/cli";

cliMain("train");
