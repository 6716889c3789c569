/**
 * The checks of every assignment in one place. Each assignment notebook imports only its own module
 * (`import { ... } from "./src/assignments/a1"` through the `assignments/src` link): tslab
 * type-checks everything a cell imports, and the A1/A3/A5 checks need neither tfjs nor the rest
 * of the library, which makes each graded run about three times faster. The build and the grader
 * are used by scripts/assignments.ts and scripts/grade.ts.
 */
export * from "./checks";
export * from "./a1";
export * from "./a3";
export * from "./a5";
export * from "./a4";
export * from "./a2";
