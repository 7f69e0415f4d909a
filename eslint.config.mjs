// eslint for the chat widget (app/web/widget) and the console's scripts (app/web/console/static),
// both browser ES modules, run by `make lint`.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["app/web/widget/**/*.js", "app/web/console/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      eqeqeq: "error",
      "no-var": "error",
      "prefer-const": "error",
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "Build nodes; never parse message text as HTML." },
        { property: "outerHTML", message: "Build nodes; never parse message text as HTML." },
        { property: "insertAdjacentHTML", message: "Build nodes; never parse text as HTML." },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name='write']", message: "No document.write." },
      ],
    },
  },
];
