"use client";
// React side of an upload: runs `runUpload` for a project, refreshes the grid and counts as requests complete, and
// warns before the tab is closed mid-upload.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage } from "../errors";
import { useTRPC } from "../trpc";
import type { UploadItem } from "./collect-files";
import { runUpload, type UploadTally } from "./run-upload";

export function useUpload(projectId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const start = useMutation(trpc.uploads.start.mutationOptions());
  const finish = useMutation(trpc.uploads.finish.mutationOptions());
  const [tally, setTally] = useState<UploadTally | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const busy = tally !== null && (tally.phase === "sending" || tally.phase === "finishing");

  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: trpc.images.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.classes.pathKey() });
  }, [queryClient, trpc]);

  const upload = useCallback(
    async (items: UploadItem[]) => {
      if (busy || items.length === 0) return;
      setError(null);
      const controller = new AbortController();
      abort.current = controller;
      try {
        await runUpload({
          items,
          start: async () => (await start.mutateAsync({ projectId })).uploadId,
          finish: (uploadId) => finish.mutateAsync({ projectId, uploadId }),
          onChange: setTally,
          onChunkStored: refresh,
          signal: controller.signal,
        });
      } catch (err) {
        setError(errorMessage(err, "The upload could not start."));
        setTally(null);
      } finally {
        abort.current = null;
        refresh();
      }
    },
    [busy, projectId, start, finish, refresh],
  );

  useEffect(() => {
    if (!busy) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [busy]);

  return {
    upload,
    tally,
    error,
    busy,
    cancel: () => abort.current?.abort(),
    dismiss: () => {
      setTally(null);
      setError(null);
    },
  };
}
