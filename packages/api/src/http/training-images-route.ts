// POST /api/trainer/projects/:projectId/training-images   body {"ids": [image ids]}   (trainer token)
// Many training copies in one answer. A trainer used to fetch a project's copies one request each: 100,000 requests,
// each resolving the token, finding the image and checking access in the database, about seven minutes before a
// 100,000-image project's first training step (bench:scale). One request answers up to TRAINING_IMAGES_BATCH ids with
// one token check and one query.
//
// The answer streams one frame per requested id, in the order asked: a status byte, the length (4 bytes, big-endian)
// and that many bytes: the PNG (FRAME_IMAGE) or a UTF-8 reason (FRAME_NOT_FOUND: no image of this project has the
// id; FRAME_MISSING: the image's files are gone from the store). A hand-written framing rather than multipart: the
// trainer reads it with a dozen lines (packages' multipart parsers read requests, not responses), and a frame's
// length up front lets it take each image as it arrives without scanning for boundaries.
import type { IncomingMessage, ServerResponse } from "node:http";
import { getTrainingCopy, ImageNotFoundError } from "@fewlabel/storage";
import { z } from "zod";
import { requireTrainerAccess } from "../access";
import { type ApiServices, trainingCopySideOf } from "../context";
import { HttpError } from "../errors";
import { closeAfterAnswer, readJsonBody, sendError } from "./respond";
import type { Caller } from "./trainer-routes";

export const TRAINING_IMAGES_BATCH = 256;
export const FRAME_IMAGE = 0;
export const FRAME_NOT_FOUND = 1;
export const FRAME_MISSING = 2;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const body = z.object({ ids: z.array(z.string().max(64)).min(1).max(TRAINING_IMAGES_BATCH) }).strict();
/** Copies read ahead of the one being written: the store's reads overlap, memory stays a few copies. */
const READ_AHEAD = 8;

export async function handleTrainingImages(req: IncomingMessage, res: ServerResponse, services: ApiServices, caller: Caller, projectId: string) {
  try {
    if (!UUID.test(projectId)) throw new HttpError(404, "Project not found.");
    await requireTrainerAccess(services.db, caller.trainer, projectId);
    const parsed = body.safeParse(await readJsonBody(req, 64 * 1024));
    if (!parsed.success) throw new HttpError(400, `Send {"ids": [...]} with 1 to ${TRAINING_IMAGES_BATCH} image ids.`);
    const ids = parsed.data.ids;
    const found = await services.db.image.findMany({ where: { projectId, id: { in: ids.filter((id) => UUID.test(id)) } }, select: { id: true, contentHash: true } });
    const hashOf = new Map(found.map((i) => [i.id, i.contentHash]));
    const side = trainingCopySideOf(services);
    const frameOf = async (id: string): Promise<Buffer> => {
      const hash = hashOf.get(id);
      if (!hash) return frame(FRAME_NOT_FOUND, Buffer.from("Image not found in this project."));
      try {
        return frame(FRAME_IMAGE, await getTrainingCopy(services.store, hash, side));
      } catch (err) {
        if (err instanceof ImageNotFoundError) return frame(FRAME_MISSING, Buffer.from("The image file is missing from the store."));
        throw err;
      }
    };
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "cache-control": "no-store",
      // The copies' size, as the single-image route's ETag carries it: a trainer keys its disk cache by it.
      "x-fewlabel-training-copy": `training-${side}`,
    });
    const pending: Promise<Buffer>[] = [];
    for (let next = 0; next < ids.length || pending.length; ) {
      while (next < ids.length && pending.length < READ_AHEAD) {
        const p = frameOf(ids[next++]!);
        p.catch(() => {}); // awaited in turn below; this only keeps a failure ahead of its turn from going unhandled
        pending.push(p);
      }
      // Headers are out: a failure from here on cuts the answer short (sendError destroys it), which the trainer sees
      // as a truncated body and retries.
      const chunk = await pending.shift()!;
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
  } catch (err) {
    sendError(res, err);
  } finally {
    if (!req.complete) closeAfterAnswer(req, res);
  }
}

/** Resolves when the answer can take more, rejects when the connection is gone first. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error("the trainer closed the connection"));
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

function frame(status: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(status, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}
