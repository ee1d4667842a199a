// Prisma CLI configuration (development only: `prisma generate`, and `prisma migrate dev` through the schema-engine
// shim in ../shared/tools). The product applies migrations itself, see packages/db/src/migrate.ts.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/fewlabel_dev" },
});
