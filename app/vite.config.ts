import { defineConfig } from "vite";

// The app is built into app/dist, which the Worker serves as static assets (wrangler.toml
// [assets]); the API is the same origin, so nothing is fetched from anywhere else at run time.
export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 2_000,
    rolldownOptions: {
      // wagmi marks its hooks "use client" (a React Server Components hint); a client-only bundle has nothing to preserve.
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
  server: { port: 5173, strictPort: true, proxy: { "/v1": "http://127.0.0.1:8787", "/docs": "http://127.0.0.1:8787" } },
});
