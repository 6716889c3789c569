import { describe, test } from "node:test";
import { runSteps } from "../testing/steps";
import { expectClose } from "../testing/expect_close";

describe("Yogi", () => {
  test("two steps worked by hand (additive v, state starting at the accumulator)", () => {
    // lr = 0.1, β1 = 0.9, β2 = 0.99, ε = 1e-3, m0 = v0 = 0.04, x0 = 1; gradients 4 then 0.1.
    // Step 1: m = 0.9·0.04 + 0.1·4 = 0.436;  g² = 16, sign(0.04 − 16) = −1 → v = 0.04 + 0.01·16 = 0.2
    //         denom = sqrt(0.2)/sqrt(0.01) + 0.001 = 4.473136;  x1 = 1 − (0.1/0.1)·0.436/4.473136 = 0.902529
    // Step 2: m = 0.9·0.436 + 0.01 = 0.4024;  g² = 0.01, sign(0.2 − 0.01) = +1 → v = 0.2 − 0.01·0.01 = 0.1999
    //         denom = sqrt(0.1999)/sqrt(0.0199) + 0.001 = 3.170420;  x2 = 0.902529 − (0.1/0.19)·0.4024/3.170420 = 0.835728
    const x1 = 1 - 0.436 / (Math.sqrt(0.2) / 0.1 + 0.001);
    const x2 = x1 - (0.1 / 0.19) * (0.4024 / (Math.sqrt(0.1999) / Math.sqrt(0.0199) + 0.001));
    const got = runSteps("yogi", { learningRate: 0.1, beta2: 0.99, initialAccumulator: 0.04 }, [1], [[4], [0.1]]);
    expectClose(got[0], [x1], 0, 1e-6);
    expectClose(got[0], [0.902529], 0, 1e-6);
    expectClose(got[1], [x2], 0, 1e-6);
    expectClose(got[1], [0.835728], 0, 1e-6);
  });
});
