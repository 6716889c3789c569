import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { referenceTrajectory } from "./index";
import { runSteps } from "../testing/steps";
import { expectClose } from "../testing/expect_close";

describe("Padam", () => {
  test("two steps worked by hand (p = 1/4, amsgrad keeps the larger v)", () => {
    // lr = 0.1, β1 = 0.9, β2 = 0.99, ε = 1e-8, p = 1/4, x0 = 1; gradients 4 then 0.
    // Step 1: m = 0.1·4 = 0.4;  v = 0.01·16 = 0.16;  v̂ = 0.16;  sqrt(v̂) = 0.4
    //         bc1 = 0.1, bc2 = 0.01 → lr·sqrt(bc2)/bc1 = 0.1·0.1/0.1 = 0.1
    //         x1 = 1 − 0.1 · 0.4 / (0.4 + ε)^(1/2) = 1 − 0.04/0.632456 = 0.936754
    // Step 2: m = 0.9·0.4 = 0.36;  v = 0.99·0.16 = 0.1584;  v̂ = max(0.16, 0.1584) = 0.16
    //         bc1 = 0.19, bc2 = 0.0199 → 0.1·sqrt(0.0199)/0.19 = 0.0742458
    //         x2 = x1 − 0.0742458 · 0.36 / 0.632456 = 0.936754 − 0.0422617 = 0.894493
    const x1 = 1 - (0.1 * 0.4) / Math.sqrt(0.4);
    const x2 = x1 - ((0.1 * Math.sqrt(0.0199)) / 0.19) * (0.36 / Math.sqrt(0.4));
    const got = runSteps("padam", { learningRate: 0.1, beta2: 0.99, partial: 0.25 }, [1], [[4], [0]]);
    expectClose(got[0], [x1], 0, 1e-6);
    expectClose(got[1], [x2], 0, 1e-6);
    assert.ok(Math.abs(got[1][0] - 0.894493) < 1e-6);
  });

  test("p = 1/2 equals AMSGrad in the ε-hat form of the 2018 code, not torch 1.13 AMSGrad", () => {
    // Gradients around 1e-8 make sqrt(v̂) comparable to ε, where the two forms differ.
    const grads = Array.from({ length: 12 }, (_, t) => [Math.sin(t + 1) * 3e-8, (t % 3) - 1, 0.5 * Math.cos(3 * t)]);
    const x0 = [1e-6, 0.2, -0.4];
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    // The 2018 AMSGrad: x −= lr·sqrt(bc2)/bc1 · m/(sqrt(v̂) + ε), written out directly.
    const x = x0.slice(), m = [0, 0, 0], v = [0, 0, 0], vHat = [0, 0, 0];
    const epsHat: number[][] = [];
    grads.forEach((g, i) => {
      const t = i + 1;
      for (let j = 0; j < 3; j++) {
        m[j] = b1 * m[j] + (1 - b1) * g[j];
        v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
        vHat[j] = Math.max(vHat[j], v[j]);
        x[j] -= ((lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t)) * (m[j] / (Math.sqrt(vHat[j]) + eps));
      }
      epsHat.push(x.slice());
    });
    const padam = referenceTrajectory("padam", { learningRate: lr, partial: 0.5, epsilon: eps }, x0, grads.length, (_x, t) => grads[t]);
    const torch = referenceTrajectory("amsgrad", { learningRate: lr, epsilon: eps }, x0, grads.length, (_x, t) => grads[t]);
    for (let t = 0; t < grads.length; t++) expectClose(padam[t], epsHat[t], 1e-12, 1e-15);
    assert.ok(Math.abs(padam[11][0] - torch[11][0]) > 1e-3 * Math.abs(padam[11][0] - x0[0]), "the ε placements differ on tiny gradients");
    // The tfjs path agrees with the float64 one.
    const f32 = runSteps("padam", { learningRate: lr, partial: 0.5, epsilon: eps }, x0, grads);
    expectClose(f32[11], padam[11], 1e-4, 1e-7);
  });

  test("p = 0 is EMA-momentum SGD with the sqrt(bc2)/bc1 factor, exactly", () => {
    const grads = [[1, -2], [0.5, 3], [-1, 0], [2, 2]];
    const lr = 0.1, b1 = 0.9, b2 = 0.999;
    const x = [0.3, -0.7], m = [0, 0];
    const expected = grads.map((g, i) => {
      const t = i + 1;
      for (let j = 0; j < 2; j++) {
        m[j] = b1 * m[j] + (1 - b1) * g[j];
        x[j] -= ((lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t)) * m[j];
      }
      return x.slice();
    });
    const got = runSteps("padam", { learningRate: lr, partial: 0 }, [0.3, -0.7], grads);
    for (let t = 0; t < grads.length; t++) expectClose(got[t], expected[t], 1e-6, 1e-7);
  });

  test("a coordinate whose gradient is always zero never moves", () => {
    const got = runSteps("padam", { partial: 0.125 }, [0.25, 1], [[0, 1], [0, -1], [0, 2]]);
    assert.equal(got[2][0], 0.25);
    assert.notEqual(got[2][1], 1);
  });

  test('biasCorrection "consistent" uses lr·bc2^p/bc1', () => {
    // One step, p = 1/8, β2 = 0.999, g = 1: m = 0.1, v̂ = 0.001, D = (sqrt(0.001) + ε)^(1/4)
    // official: x1 = 1 − 0.1·sqrt(0.001)/0.1 · 0.1/D;  consistent: x1 = 1 − 0.1·0.001^(1/8)/0.1 · 0.1/D
    const D = Math.pow(Math.sqrt(0.001) + 1e-8, 0.25);
    const official = runSteps("padam", { partial: 0.125 }, [1], [[1]])[0][0];
    const consistent = runSteps("padam", { partial: 0.125, biasCorrection: "consistent" }, [1], [[1]])[0][0];
    expectClose([official], [1 - Math.sqrt(0.001) * (0.1 / D)], 1e-6, 0);
    expectClose([consistent], [1 - Math.pow(0.001, 0.125) * (0.1 / D)], 1e-6, 0);
  });
});
