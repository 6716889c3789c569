/**
 * The library's single public entry point. Notebooks import from "./src" (notebooks/src links to
 * this folder); scripts import from "../src".
 */
export * from "./optim";
export * from "./backend";
export * from "./models";
export * from "./theory";
export * from "./notebook";
