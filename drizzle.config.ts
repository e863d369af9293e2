import { defineConfig } from "drizzle-kit";

// drizzle-kit generates SQL into the folder wrangler.toml names as migrations_dir;
// wrangler (and the Workers-runtime tests) apply it.
export default defineConfig({
  dialect: "sqlite",
  schema: "./db/schema.ts",
  out: "./db/migrations",
});
