/** Convergence theory of Padam: bound calculator (constants unverified) and gradient statistics. */
export * from "./constants";
export * from "./bounds";
export * from "./gradient_stats";
export * from "./synthetic";
export * from "./network";
