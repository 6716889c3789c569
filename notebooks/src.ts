// tslab resolves "./src" to this file (a folder import would need src/index.js, which tslab
// does not look for); everything comes from src/index.ts through the notebooks/src link.
export * from "./src/index";
