// @fewlabel/api: tRPC routers, authorization, ingest and export, and the HTTP handler that serves them.
export { type AppRouter, appRouter } from "./root";
export type { ApiContext, ApiServices } from "./context";
export { type ApiHttpHandler, createApiHttpHandler } from "./http/handler";
export { trainerLimits } from "./http/trainer-routes";
export { sweepUploadLeftovers, uploadLimits } from "./http/upload-route";
export { backfillTrainingCopies, type BackfillResult } from "./services/training-copies";
export { ingestFiles, type IncomingFile, type IngestSummary } from "./services/ingest";
export { permissions, roleAtLeast } from "./roles";
export { SESSION_COOKIE, createSession, deleteSession, resolveSession, readCookie } from "./auth/sessions";
export { requireProjectAccess, AccessError } from "./access";
export { type Broadcaster, silentBroadcaster } from "./broadcast";
export { isForeignOrigin } from "./auth/csrf";
export { SIGN_IN_LIMITS } from "./auth/sign-in-throttle";
export { claimNextImage, holdImages, LabellingError, purgeExpiredLeases, releaseLeases, renewLeases, setLabels, undoLast } from "./services/labelling";
export { LabelWriter } from "./services/label-writer";
export { appendEvents, eventsSince } from "./services/project-events";
export { resolveLabel } from "./services/resolve-label";
export { type Permission } from "./roles";
