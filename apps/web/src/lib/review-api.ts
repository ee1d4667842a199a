"use client";
// Label history of an image and the reviewers' disagreement list. The procedures (`images.history`,
// `review.disagreements`) are being added to the api in parallel; until the router's types carry them, they are
// called by name through the untyped client with the shapes agreed for them. Their query keys have tRPC's own shape,
// so the live hook's invalidations keep working when these become ordinary `trpc.*.queryOptions` calls.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useTRPCClient } from "./trpc";

export interface HistoryItem {
  id: string;
  seq: number | bigint | null;
  author: { id: string; name: string } | null;
  classId: string | null;
  previousClassId: string | null;
  unsure: boolean;
  source: string;
  createdAt: Date | string;
}

export interface DisagreementVote {
  userId: string;
  name: string;
  classId: string | null;
  unsure: boolean;
}

export interface Disagreement {
  imageId: string;
  filename: string;
  votes: DisagreementVote[];
  labelClassId: string | null;
}

export interface DisagreementPage {
  items: Disagreement[];
  nextCursor: string | number | null;
}

interface PendingProcedures {
  images: { history: { query(input: { projectId: string; imageId: string }): Promise<HistoryItem[] | { items: HistoryItem[] }> } };
  review: { disagreements: { query(input: { projectId: string; cursor: string | number | null }): Promise<DisagreementPage> } };
}

export const historyKey = (input: { projectId: string; imageId?: string }) => [["images", "history"], { input, type: "query" }] as const;
export const disagreementsKey = (input: { projectId: string }) => [["review", "disagreements"], { input, type: "infinite" }] as const;

/** The api answers NOT_FOUND for a procedure it does not have yet; that is a state to show, not an error. */
export function isMissingProcedure(err: unknown): boolean {
  return /No procedure found/.test(String((err as { message?: string } | null)?.message));
}

export function useImageHistory(projectId: string, imageId: string | undefined) {
  const client = useTRPCClient() as unknown as PendingProcedures;
  return useQuery({
    queryKey: historyKey({ projectId, imageId: imageId ?? "" }),
    queryFn: async () => {
      const r = await client.images.history.query({ projectId, imageId: imageId! });
      return Array.isArray(r) ? r : r.items;
    },
    enabled: !!imageId,
    retry: false,
  });
}

export function useDisagreements(projectId: string) {
  const client = useTRPCClient() as unknown as PendingProcedures;
  return useInfiniteQuery({
    queryKey: disagreementsKey({ projectId }),
    queryFn: ({ pageParam }) => client.review.disagreements.query({ projectId, cursor: pageParam }),
    initialPageParam: null as string | number | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    retry: false,
  });
}
