/**
 * The library's single public entry point. Notebooks import from "./src" (notebooks/src links to
 * this folder); scripts import from "../src". Folder modules are named by their index file
 * because tslab resolves only file names, not folders.
 */
export * from "./optim/index";
export * from "./backend/index";
export * from "./models/index";
export * from "./datasets/index";
export * from "./experiment/index";
export * from "./theory/index";
export * from "./analysis/index";
export * from "./notebook/index";
