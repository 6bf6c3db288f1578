import { defineConfig, mergeConfig } from "vitest/config";

import viteConfig from "./vite.config.ts";

// Component tests in jsdom: the real AppBridge talks to a fake dashboard (src/test/dashboard.ts)
// and `fetch` is a fake of the app's /graphql (src/test/api.ts); nothing goes to the network.
export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      environment: "jsdom",
      include: ["src/**/*.test.tsx", "src/**/*.test.ts"],
      setupFiles: ["src/test/setup.ts"],
      restoreMocks: true,
      unstubGlobals: true,
      testTimeout: 20_000,
    },
  }),
);
