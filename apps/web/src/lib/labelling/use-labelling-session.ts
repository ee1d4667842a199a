"use client";
// One annotator's labelling session: work comes from `image:claim` (each annotator gets a different image under a
// lease), one image is kept claimed ahead so the next one shows the moment a label is given, and the images likely
// to follow are preloaded. Labels are sent optimistically (retried until acknowledged, applied once by the server);
// `done` is what I labelled in this session, which previous / next walk through.
import type { ImageRef } from "@fewlabel/realtime";
import { useCallback, useEffect, useRef, useState } from "react";
import { claimImage, connectionStatus, holdImages, newClientId, RealtimeError, releaseImage, sendLabel, subscribeStatus, undoMyLast } from "../realtime/connection";

export interface DoneEntry {
  image: ImageRef;
  classId: string | null;
  unsure: boolean;
  /** Set once the server has acknowledged the label. */
  synced: boolean;
  failed?: string;
}

export type SessionState =
  | { kind: "loading" }
  /** Nothing to hand out to me right now; `remaining` images still need votes (from others, or leased by others). */
  | { kind: "empty"; remaining: number }
  | { kind: "ready" };

/** Images kept claimed: the one shown and one ahead. */
const ahead = 2;

/** TIFF and other formats browsers do not draw are shown through their normalised training copy. */
export function imageUrl(image: Pick<ImageRef, "id" | "filename">, fallback = false): string {
  const variant = fallback || /\.(tiff?|heic|heif)$/i.test(image.filename) ? "training" : "original";
  return `/api/images/${image.id}/${variant}`;
}

const preloaded = new Map<string, HTMLImageElement>();
function preload(images: (ImageRef | null | undefined)[]) {
  for (const image of images) {
    if (!image || preloaded.has(image.id)) continue;
    const el = new Image();
    el.decoding = "async";
    el.src = imageUrl(image);
    preloaded.set(image.id, el);
    // Hold on to a bounded number: the browser cache keeps the bytes, this only keeps the requests from being dropped.
    if (preloaded.size > 64) preloaded.delete(preloaded.keys().next().value!);
  }
}

export function useLabellingSession(projectId: string, onError: (message: string) => void) {
  const [queue, setQueue] = useState<ImageRef[]>([]);
  const [done, setDone] = useState<DoneEntry[]>([]);
  /** Index into `done` while looking back; null while on the current (claimed) image. */
  const [back, setBack] = useState<number | null>(null);
  const [unsure, setUnsure] = useState(false);
  const [state, setState] = useState<SessionState>({ kind: "loading" });
  const [remaining, setRemaining] = useState<number | null>(null);
  /** Skipped images come back only when asked, once the rest is done. */
  const [skippedCount, setSkippedCount] = useState(0);

  // The async work below reads the latest values through refs.
  const queueRef = useRef(queue);
  queueRef.current = queue;
  const doneRef = useRef(done);
  doneRef.current = done;
  const remainingRef = useRef(remaining);
  remainingRef.current = remaining;
  const skipped = useRef<string[]>([]);
  const labelled = useRef<string[]>([]);
  const inFlight = useRef(new Set<Promise<unknown>>());
  const filling = useRef(false);
  const fillAgain = useRef(false);
  const mounted = useRef(true);
  const onErrorRef = useRef(onError);
  onErrorRef.current = onError;

  const fill = useCallback(async () => {
    if (filling.current) {
      fillAgain.current = true;
      return;
    }
    filling.current = true;
    try {
      do {
        fillAgain.current = false;
        while (mounted.current && queueRef.current.length < ahead) {
          // Images I have just labelled may not be committed yet: never take them back.
          const r = await claimImage({ projectId, skip: [...skipped.current, ...labelled.current.slice(-200)].slice(-1000) });
          if (!mounted.current) {
            if (r.image) releaseImage(projectId, r.image.id);
            return;
          }
          setRemaining(r.remaining);
          preload([r.image, ...r.prefetch]);
          if (!r.image) {
            if (queueRef.current.length === 0) setState({ kind: "empty", remaining: r.remaining });
            break;
          }
          const image = r.image;
          queueRef.current = queueRef.current.some((q) => q.id === image.id) ? queueRef.current : [...queueRef.current, image];
          setQueue(queueRef.current);
          setState({ kind: "ready" });
        }
      } while (fillAgain.current && mounted.current);
    } catch (err) {
      onErrorRef.current(err instanceof Error ? err.message : "Could not get the next image.");
      if (queueRef.current.length === 0) setState({ kind: "empty", remaining: remainingRef.current ?? 0 });
    } finally {
      filling.current = false;
    }
  }, [projectId]);

  useEffect(() => {
    mounted.current = true;
    void fill();
    return () => {
      mounted.current = false;
      // Hand the images I hold back to the team.
      for (const image of queueRef.current) releaseImage(projectId, image.id);
    };
  }, [projectId, fill]);

  const shown: { image: ImageRef; entry: DoneEntry | null } | null =
    back !== null && done[back] ? { image: done[back]!.image, entry: done[back]! } : queue[0] ? { image: queue[0], entry: null } : null;

  const send = useCallback(
    (image: ImageRef, classId: string | null, isUnsure: boolean, via?: () => Promise<unknown>) => {
      labelled.current.push(image.id);
      const plain = () => sendLabel({ projectId, imageId: image.id, classId, unsure: isUnsure, clientLabelId: newClientId() });
      // Confirming the model's suggestion accepts it (the label's source then says "model, reviewed"); should that
      // fail (reviewed by a teammate meanwhile), the same class is sent as my own label.
      const sent = via && !isUnsure ? via().then(() => releaseImage(projectId, image.id), plain) : plain();
      const p = sent
        .then(() => setDone((d) => d.map((e) => (e.image.id === image.id ? { ...e, synced: true, failed: undefined } : e))))
        .catch((err: unknown) => {
          const message = err instanceof Error ? err.message : "The label was not saved.";
          setDone((d) => d.map((e) => (e.image.id === image.id ? { ...e, failed: message } : e)));
          onErrorRef.current(`Not saved (${image.filename.split("/").pop()}): ${message}`);
        });
      inFlight.current.add(p);
      void p.finally(() => inFlight.current.delete(p));
    },
    [projectId],
  );

  /**
   * Labels the image on screen; on the current image, moves on to the next one at once. `via` sends the label another
   * way (accepting the model's suggestion) instead of a plain vote.
   */
  const label = useCallback(
    (classId: string, via?: () => Promise<unknown>) => {
      if (back !== null) {
        const entry = done[back];
        if (!entry) return;
        setDone((d) => d.map((e, i) => (i === back ? { ...e, classId, unsure, synced: false, failed: undefined } : e)));
        send(entry.image, classId, unsure);
        setBack(back + 1 < done.length ? back + 1 : null);
        setUnsure(false);
        return;
      }
      const image = queueRef.current[0];
      if (!image) return;
      setDone((d) => [...d.filter((e) => e.image.id !== image.id), { image, classId, unsure, synced: false }]);
      queueRef.current = queueRef.current.slice(1);
      setQueue(queueRef.current);
      setUnsure(false);
      send(image, classId, unsure, via);
      if (queueRef.current.length === 0) setState({ kind: "loading" });
      void fill();
    },
    [back, done, unsure, send, fill],
  );

  /** Leaves the current image to someone else (or to later) and shows the next; on a past image, moves forward. */
  const skip = useCallback(() => {
    if (back !== null) {
      setBack(back + 1 < done.length ? back + 1 : null);
      return;
    }
    const image = queueRef.current[0];
    if (!image) return;
    skipped.current.push(image.id);
    setSkippedCount(skipped.current.length);
    releaseImage(projectId, image.id);
    queueRef.current = queueRef.current.slice(1);
    setQueue(queueRef.current);
    setUnsure(false);
    if (queueRef.current.length === 0) setState({ kind: "loading" });
    void fill();
  }, [back, done.length, projectId, fill]);

  const previous = useCallback(() => {
    if (done.length === 0) return;
    setBack((b) => (b === null ? done.length - 1 : Math.max(0, b - 1)));
  }, [done.length]);

  const next = useCallback(() => {
    setBack((b) => (b === null ? null : b + 1 < done.length ? b + 1 : null));
  }, [done.length]);

  /** Undoes my latest change in the project (the server never touches a teammate's vote). */
  const undo = useCallback(async (): Promise<{ filename: string; classId: string | null } | null> => {
    // The server undoes the latest change it has: let labels still on their way arrive first.
    await Promise.allSettled([...inFlight.current]);
    try {
      const r = await undoMyLast(projectId);
      const d = doneRef.current;
      const i = d.findLastIndex((e) => e.image.id === r.imageId);
      const entry = i >= 0 ? d[i]! : null;
      if (entry && r.classId !== null) setDone(d.map((e, j) => (j === i ? { ...e, classId: r.classId, unsure: false } : e)));
      else if (entry) {
        // My vote is withdrawn: the image needs a label again, so it is shown now.
        setDone(d.filter((_, j) => j !== i));
        labelled.current = labelled.current.filter((id) => id !== entry.image.id);
        if (!queueRef.current.some((q) => q.id === entry.image.id)) {
          queueRef.current = [entry.image, ...queueRef.current];
          setQueue(queueRef.current);
          setState({ kind: "ready" });
        }
      }
      const filename = entry?.image.filename ?? "an image";
      setBack(null);
      return { filename, classId: r.classId };
    } catch (err) {
      onErrorRef.current(err instanceof RealtimeError || err instanceof Error ? err.message : "Nothing was undone.");
      return null;
    }
  }, [projectId]);

  const retrySkipped = useCallback(() => {
    skipped.current = [];
    setSkippedCount(0);
    setState({ kind: "loading" });
    void fill();
  }, [fill]);

  // The server releases a connection's leases when it drops: after a reconnect, the images I hold are leased to me
  // again where nobody else took them meanwhile. Images claimed ahead that went to a teammate are dropped and
  // replaced; the one on screen stays either way (at worst it gets one vote more than asked for).
  useEffect(() => {
    let previous = connectionStatus().state;
    return subscribeStatus(() => {
      const now = connectionStatus().state;
      if (now === "live" && previous === "reconnecting" && queueRef.current.length > 0) {
        const ids = queueRef.current.map((q) => q.id);
        void holdImages(projectId, ids)
          .then(({ held }) => {
            const keep = new Set(held);
            queueRef.current = queueRef.current.filter((q, i) => i === 0 || keep.has(q.id));
            setQueue(queueRef.current);
            void fill();
          })
          .catch(() => void fill());
      }
      previous = now;
    });
  }, [projectId, fill]);

  // While there is nothing for me, look again now and then: leases expire, images arrive.
  useEffect(() => {
    if (state.kind !== "empty") return;
    const t = setInterval(() => void fill(), 15_000);
    return () => clearInterval(t);
  }, [state.kind, fill]);

  return {
    state,
    shown,
    queue,
    done,
    back,
    unsure,
    remaining,
    setUnsure,
    toggleUnsure: () => setUnsure((u) => !u),
    label,
    skip,
    previous,
    next,
    undo,
    refill: fill,
    skippedCount,
    retrySkipped,
  };
}
