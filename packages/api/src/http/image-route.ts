// GET /api/images/:imageId/(thumbnail|original|training): image bytes, for project members only, and for the trainer
// of the image's project (bearer token).
import type { IncomingMessage, ServerResponse } from "node:http";
import { getTrainingCopy, ImageNotFoundError, originalKey, thumbnailKey } from "@fewlabel/storage";
import { requireProjectAccess, requireSignedIn, requireTrainerAccess } from "../access";
import { type ApiServices, trainingCopySideOf } from "../context";
import { HttpError } from "../errors";
import { sendError } from "./respond";
import type { Caller } from "./trainer-routes";

// A training copy's name carries its size: a trainer or browser cache never takes a copy of one size for another.
const variants = {
  thumbnail: { tag: () => "thumbnail", get: (s: ApiServices, hash: string) => s.store.get(thumbnailKey(hash)), type: () => "image/webp" },
  training: { tag: (s: ApiServices) => `training-${trainingCopySideOf(s)}`, get: (s: ApiServices, hash: string) => getTrainingCopy(s.store, hash, trainingCopySideOf(s)), type: () => "image/png" },
  original: { tag: () => "original", get: (s: ApiServices, hash: string) => s.store.get(originalKey(hash)), type: (format: string) => `image/${format}` },
} as const;

export async function handleImage(req: IncomingMessage, res: ServerResponse, services: ApiServices, caller: Caller, imageId: string, variant: string) {
  try {
    if (!caller.trainer) requireSignedIn(caller.session);
    const v = variants[variant as keyof typeof variants];
    if (!v) throw new HttpError(404, "No such image variant.");
    const image = /^[0-9a-f-]{36}$/i.test(imageId) ? await services.db.image.findUnique({ where: { id: imageId }, select: { projectId: true, contentHash: true, format: true } }) : null;
    if (!image) throw new HttpError(404, "Image not found.");
    if (caller.trainer) await requireTrainerAccess(services.db, caller.trainer, image.projectId);
    else await requireProjectAccess(services.db, caller.session, image.projectId, "viewProject");
    const etag = `"${v.tag(services)}-${image.contentHash}"`;
    const headers = {
      "content-type": v.type(image.format),
      // Content-addressed, so it never changes; private because access depends on the session.
      "cache-control": "private, max-age=31536000, immutable",
      etag,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const bytes = await v.get(services, image.contentHash);
    res.writeHead(200, { ...headers, "content-length": bytes.length });
    res.end(req.method === "HEAD" ? undefined : bytes);
  } catch (err) {
    sendError(res, err instanceof ImageNotFoundError ? new HttpError(404, "The image file is missing from the store.") : err);
  }
}
