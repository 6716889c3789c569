// Lint rules for the TypeScript sources: typescript-eslint's recommended set; `_`-prefixed names
// mark values deliberately unused (destructuring that drops a field, callback parameters).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "reports/", ".cache/", "data/", "results/", "figures/", "shims/", ".jupyter/", "**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      // Lazy require() keeps optional or heavy modules (tslab, puppeteer, danfojs) off the import path of the library.
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
);
