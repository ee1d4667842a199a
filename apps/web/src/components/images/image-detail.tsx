"use client";
// One image, large, with what is known about it; ← and → step through the current (filtered) list.
import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { classForKey, classHotkeys, ignoreKey } from "~/lib/hotkeys";
import { newClientId, sendLabel } from "~/lib/realtime/connection";
import type { ImageFilter, LabelClass } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatBytes, formatCount, formatDate } from "~/lib/format";
import { useImagePages } from "~/lib/use-image-pages";
import { useMe } from "~/lib/use-me";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { ColorDot } from "../ui/badge";
import { Button } from "../ui/button";
import { Modal } from "../ui/modal";
import { Spinner } from "../ui/spinner";
import { LabelHistory } from "./label-history";
import { handleViewKey, useImageView, ZoomStage } from "./zoom-stage";

const labelSources = { HUMAN: "a person", IMPORT: "import (folder or CSV)", MODEL_REVIEWED: "model suggestion, reviewed" } as const;
/** Formats browsers draw themselves; others (TIFF) are shown through their normalised training copy. */
const browserFormats = new Set(["jpeg", "jpg", "png", "webp", "gif", "bmp", "avif"]);

export function ImageDetail({
  projectId,
  filter,
  index,
  total,
  classesById,
  onIndex,
  onClose,
  onMoreLikeThis,
}: {
  projectId: string;
  filter: ImageFilter;
  index: number;
  total: number;
  classesById: Map<string, LabelClass>;
  onIndex: (i: number) => void;
  onClose: () => void;
  /** Shows the grid of this image's nearest neighbours by the encoder's embeddings. */
  onMoreLikeThis?: (image: { id: string; filename: string }) => void;
}) {
  const trpc = useTRPC();
  const item = useImagePages(projectId, filter, index, index).itemAt(index);
  const image = useQuery({ ...trpc.images.get.queryOptions({ projectId, imageId: item?.id ?? "" }), enabled: !!item });

  const [labelError, setLabelError] = useState<string | null>(null);
  // My current vote is the latest change I made (the same query the history below shows).
  const me = useMe().data;
  const history = useQuery({ ...trpc.images.history.queryOptions({ projectId, imageId: item?.id ?? "" }), enabled: !!item });
  const myVote = history.data?.findLast((h) => h.author?.id === me?.id)?.classId ?? null;
  const imageId = item?.id;
  // My vote on the open image; the label shown follows through the live events like everywhere else.
  const vote = useCallback(
    (classId: string) => {
      if (!imageId) return;
      setLabelError(null);
      sendLabel({ projectId, imageId, classId, unsure: false, clientLabelId: newClientId() }).catch((err: unknown) => setLabelError(errorMessage(err)));
    },
    [projectId, imageId],
  );

  const imageView = useImageView(imageId ?? null);
  useEffect(() => {
    const reserved = classHotkeys(classesById.values());
    const onKey = (e: KeyboardEvent) => {
      if (ignoreKey(e)) return;
      const c = e.key.length === 1 ? classForKey([...classesById.values()], e.key) : undefined;
      if (c) {
        e.preventDefault();
        vote(c.id);
      } else if (handleViewKey(e, imageView, reserved)) {
        // zoom, pan or reset of the open image
      } else if (e.key === "ArrowLeft" && index > 0) onIndex(index - 1);
      else if (e.key === "ArrowRight" && index < total - 1) onIndex(index + 1);
      else if (e.key === "m" && !reserved.has("m") && onMoreLikeThis && item) onMoreLikeThis({ id: item.id, filename: item.filename });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [index, total, onIndex, classesById, vote, imageView, onMoreLikeThis, item]);

  const data = image.data;
  const label = data?.labelClassId ? (classesById.get(data.labelClassId) ?? data.labelClass ?? undefined) : undefined;
  return (
    <Modal label={item?.filename ?? "Image"} onClose={onClose} wide>
      <div className="flex items-center justify-between gap-3 border-b border-slate-100 px-5 py-3" data-testid="image-detail">
        <h2 className="min-w-0 truncate font-mono text-sm font-medium text-slate-900" title={item?.filename}>
          {item?.filename ?? "…"}
        </h2>
        <div className="flex shrink-0 items-center gap-1">
          <span className="mr-2 text-xs text-slate-500 tabular-nums">
            {formatCount(index + 1)} / {formatCount(total)}
          </span>
          <Button size="sm" variant="ghost" disabled={index <= 0} onClick={() => onIndex(index - 1)} aria-label="Previous image">
            ←
          </Button>
          <Button size="sm" variant="ghost" disabled={index >= total - 1} onClick={() => onIndex(index + 1)} aria-label="Next image">
            →
          </Button>
          {onMoreLikeThis && item && (
            <Button
              size="sm"
              variant="secondary"
              onClick={() => onMoreLikeThis({ id: item.id, filename: item.filename })}
              title="Its nearest neighbours by the model's embeddings, in the grid (keyboard: m)"
              data-testid="more-like-this"
            >
              More like this
            </Button>
          )}
          <Button size="sm" variant="ghost" onClick={onClose} aria-label="Close">
            ✕
          </Button>
        </div>
      </div>
      <div className="grid md:grid-cols-[1fr_18rem]">
        <div className="flex min-h-[50vh] items-center justify-center bg-slate-900">
          {item ? (
            <ZoomStage view={imageView} testId="detail-zoom-stage">
              <LargeImage key={item.id} imageId={item.id} format={data?.format} small={(item.width ?? 0) <= 128} alt={item.filename} />
            </ZoomStage>
          ) : (
            <Spinner className="size-6 text-slate-400" />
          )}
        </div>
        <aside className="space-y-4 p-5 text-sm">
          {image.error && <Alert>{errorMessage(image.error)}</Alert>}
          <div>
            <h3 className="text-xs font-medium tracking-wide text-slate-500 uppercase">Label</h3>
            <div className="mt-1 flex items-center gap-2" data-testid="detail-label">
              {label ? (
                <>
                  <ColorDot color={label.color} className="size-3" />
                  <span className="font-medium">{label.name}</span>
                </>
              ) : (
                <span className="text-slate-500">Unlabelled</span>
              )}
            </div>
            {data?.labelSource && (
              <p className="mt-1 text-xs text-slate-500">
                From {labelSources[data.labelSource]}
                {data.labelledAt ? `, ${formatDate(data.labelledAt)}` : ""}
              </p>
            )}
            {data && data.voteCount > 0 && (
              <p className="mt-1 text-xs text-slate-500" data-testid="detail-votes">
                {data.voteCount} {data.voteCount === 1 ? "vote" : "votes"}
                {data.disagreement && <span className="ml-1.5 rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-800">annotators disagree</span>}
              </p>
            )}
          </div>
          {classesById.size > 0 && (
            <div>
              <h3 className="text-xs font-medium tracking-wide text-slate-500 uppercase">My label</h3>
              <div className="mt-1.5 flex flex-wrap gap-1.5">
                {[...classesById.values()].map((c) => (
                  <button
                    key={c.id}
                    type="button"
                    disabled={!item}
                    onClick={() => vote(c.id)}
                    data-testid="detail-vote"
                    data-class-name={c.name}
                    aria-pressed={myVote === c.id}
                    className={`inline-flex items-center gap-1.5 rounded-md px-2 py-1 text-xs font-medium ring-1 ring-inset disabled:opacity-50 ${myVote === c.id ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"}`}
                  >
                    <ColorDot color={c.color} className="size-2" />
                    {c.name}
                    {c.hotkey && <kbd className="font-mono text-[10px] text-slate-400">{c.hotkey}</kbd>}
                  </button>
                ))}
              </div>
              {labelError && <p className="mt-1 text-xs text-rose-600">{labelError}</p>}
            </div>
          )}
          {item && <LabelHistory projectId={projectId} imageId={item.id} classesById={classesById} />}
          {data ? (
            <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1.5 text-xs">
              <dt className="text-slate-500">Size</dt>
              <dd className="tabular-nums">
                {data.width} × {data.height} px
              </dd>
              <dt className="text-slate-500">Format</dt>
              <dd className="uppercase">{data.format}</dd>
              <dt className="text-slate-500">File size</dt>
              <dd>{formatBytes(data.byteSize)}</dd>
              <dt className="text-slate-500">Added</dt>
              <dd>{formatDate(data.createdAt)}</dd>
              <dt className="text-slate-500">By</dt>
              <dd>{data.uploadedBy?.name ?? "—"}</dd>
              <dt className="text-slate-500">Content hash</dt>
              <dd className="truncate font-mono" title={data.contentHash}>
                {data.contentHash.slice(0, 16)}…
              </dd>
            </dl>
          ) : (
            !image.error && <Spinner />
          )}
          {item && (
            <div className="flex gap-2 border-t border-slate-100 pt-3">
              <a className="text-xs font-medium text-indigo-600 hover:text-indigo-500" href={`/api/images/${item.id}/original`} target="_blank" rel="noreferrer">
                Open original ↗
              </a>
            </div>
          )}
        </aside>
      </div>
    </Modal>
  );
}

/** The thumbnail at once, the full image over it when it has loaded. */
function LargeImage({ imageId, format, small, alt }: { imageId: string; format: string | undefined; small: boolean; alt: string }) {
  const [loaded, setLoaded] = useState(false);
  const [failed, setFailed] = useState(false);
  const variant = format && !browserFormats.has(format.toLowerCase()) ? "training" : failed ? "training" : "original";
  return (
    <div className="relative flex h-[70vh] w-full items-center justify-center">
      {!loaded && <img src={`/api/images/${imageId}/thumbnail`} alt="" className="absolute inset-0 size-full object-contain opacity-60 blur-[1px]" />}
      {format && (
        <img
          src={`/api/images/${imageId}/${variant}`}
          alt={alt}
          onLoad={() => setLoaded(true)}
          onError={() => setFailed(true)}
          className={`relative size-full object-contain ${small ? "[image-rendering:pixelated]" : ""}`}
          style={{ opacity: loaded ? 1 : 0 }}
          data-testid="detail-image"
        />
      )}
    </div>
  );
}
