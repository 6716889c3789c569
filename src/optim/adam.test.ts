import { describe, test } from "node:test";
import { runSteps } from "../testing/steps";
import { expectClose } from "../testing/expect_close";

describe("Adam", () => {
  test("two steps worked by hand (ε after the bias correction)", () => {
    // lr = 0.1, β1 = 0.9, β2 = 0.99, ε = 1e-8, x0 = 1; gradients 4 then 0.
    // Step 1: m = 0.4, v = 0.16, bc1 = 0.1, bc2 = 0.01
    //         denom = sqrt(0.16)/sqrt(0.01) + ε = 4;  x1 = 1 − (0.1/0.1)·0.4/4 = 0.9  (the first step is lr·sign(g))
    // Step 2: m = 0.36, v = 0.1584, bc1 = 0.19, bc2 = 0.0199
    //         denom = sqrt(0.1584)/sqrt(0.0199) = 2.821303;  x2 = 0.9 − (0.1/0.19)·0.36/2.821303 = 0.832842
    const x2 = 0.9 - (0.1 / 0.19) * (0.36 / (Math.sqrt(0.1584) / Math.sqrt(0.0199)));
    const got = runSteps("adam", { learningRate: 0.1, beta2: 0.99 }, [1], [[4], [0]]);
    expectClose(got[0], [0.9], 0, 1e-6);
    expectClose(got[1], [x2], 0, 1e-6);
    expectClose(got[1], [0.832842], 0, 1e-6);
  });

  test("coupled L2 decay enters the moments", () => {
    // λ = 0.5, x0 = 2, g = 0: g' = 1 → first step is still lr·sign(g') = 0.1
    const got = runSteps("adam", { learningRate: 0.1, weightDecay: 0.5 }, [2], [[0]]);
    expectClose(got[0], [1.9], 0, 1e-6);
  });
});
