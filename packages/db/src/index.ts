// @fewlabel/db: the Prisma client factory (PGlite embedded by default, PostgreSQL by DATABASE_URL) and the
// migration runner that brings either to the latest committed migration at start.
export { type Database, openDatabase, openPglite, openPostgres } from "./client";
export { type DatabaseConfig, dataDirectory, resolveDatabaseConfig } from "./config";
export { DataDirectoryInUseError } from "./lock";
export { applyMigrations, readMigrations } from "./migrate";
export { INSERT_VECTORS, unitLength, VECTOR_TABLE, type VectorSearch, type VectorSearchSetting, vectorRows, vectorSearchOf } from "./vector-search";
export { Prisma, PrismaClient } from "./generated/prisma/client";
export type * from "./generated/prisma/models";
export type { UserModel as User, ProjectModel as Project, ImageModel as Image, LabelClassModel as LabelClass, MembershipModel as Membership, UploadModel as Upload } from "./generated/prisma/models";
export { LabelSource, QueueOrder, Role } from "./generated/prisma/enums";
