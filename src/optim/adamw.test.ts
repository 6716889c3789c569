import { describe, test } from "node:test";
import { runSteps } from "../testing/steps";
import { expectClose } from "../testing/expect_close";

describe("AdamW", () => {
  test("two steps worked by hand (decay x·(1 − lr·λ) first, then Adam on the raw gradient)", () => {
    // lr = 0.1, λ = 0.5, β2 = 0.99, x0 = 1; gradients 4 then 0.
    // Step 1: x = 1·(1 − 0.05) = 0.95, then Adam's first step 0.1 → x1 = 0.85
    // Step 2: x = 0.85·0.95 = 0.8075, then Adam's second step (see adam.test.ts) 0.067158 → x2 = 0.740342
    const adamStep2 = (0.1 / 0.19) * (0.36 / (Math.sqrt(0.1584) / Math.sqrt(0.0199)));
    const got = runSteps("adamw", { learningRate: 0.1, beta2: 0.99, weightDecay: 0.5 }, [1], [[4], [0]]);
    expectClose(got[0], [0.85], 0, 1e-6);
    expectClose(got[1], [0.8075 - adamStep2], 0, 1e-6);
    expectClose(got[1], [0.740342], 0, 1e-6);
  });
});
