import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The Python app serves the build: /app/assets/* are these files, every other /app/... path answers
// index.html (saleor_bexio_app/web/static_files.py). `base` must therefore stay "/app/".
export default defineConfig({
  base: "/app/",
  plugins: [react()],
  // @saleor/app-sdk's createAuthenticatedFetch defaults to Node's `global.fetch`.
  define: { global: "globalThis" },
  build: {
    outDir: "../saleor_bexio_app/static/dashboard",
    emptyOutDir: true,
    assetsDir: "assets",
    // app-sdk + macaw-ui + React are ~540 kB minified (135 kB gzipped); served once, then cached.
    chunkSizeWarningLimit: 1024,
  },
});
