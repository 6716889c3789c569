/** Type-level helpers. */

/** The intersection of the members of a union (`A | B` → `A & B`). */
export type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
