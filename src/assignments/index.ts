/**
 * What the assignment notebooks import (`import { ... } from "./src/assignments/index"` through
 * the `assignments/src` link): the checks of each assignment. The build and the grader are used by
 * scripts/assignments.ts and scripts/grade.ts.
 */
export * from "./checks";
export * from "./a1";
export * from "./a3";
export * from "./a5";
export * from "./a4";
export * from "./a2";
