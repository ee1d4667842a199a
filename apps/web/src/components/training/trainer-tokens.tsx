"use client";
// Trainer tokens, for owners: a token lets a trainer process on another machine (a GPU box) train this project over
// HTTP. A new token is shown once, with the command that starts a trainer; the server keeps only its hash.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { errorMessage } from "~/lib/errors";
import { formatDate } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { CopyField } from "../ui/copy-field";
import { inputClass } from "../ui/field";

/** The shell command that runs a trainer for this server with this token (from a checkout of the repository). */
export function trainerCommand(origin: string, token: string): string {
  return `FEWLABEL_URL=${origin} FEWLABEL_TRAINER_TOKEN=${token} npm start -w @fewlabel/trainer`;
}

export function TrainerTokens({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const tokens = useQuery(trpc.training.tokens.queryOptions({ projectId }));
  const [name, setName] = useState("GPU trainer");
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [origin, setOrigin] = useState("http://localhost:3000");
  useEffect(() => setOrigin(window.location.origin), []);
  const refresh = () => void qc.invalidateQueries(trpc.training.tokens.queryFilter({ projectId }));
  const create = useMutation(trpc.training.createToken.mutationOptions({ onSuccess: (t) => (setCreated(t), refresh()) }));
  const revoke = useMutation(trpc.training.revokeToken.mutationOptions({ onSuccess: refresh }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ projectId, name });
  };

  return (
    <Card title="Trainer tokens" description="Run the trainer on another machine (e.g. one with a GPU): it needs only this server's address and a token.">
      <div className="space-y-4" data-testid="trainer-tokens">
        <form onSubmit={submit} className="flex flex-wrap items-center gap-2">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} className={inputClass(false, "w-64")} aria-label="Token name" data-testid="token-name" />
          <Button type="submit" variant="primary" loading={create.isPending} disabled={!name.trim()} data-testid="create-token">
            Create token
          </Button>
        </form>
        {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
        {revoke.isError && <Alert>{errorMessage(revoke.error)}</Alert>}
        {created && (
          <div className="space-y-2 rounded-md bg-amber-50 p-3 ring-1 ring-amber-200 ring-inset" data-testid="new-token">
            <p className="text-sm text-amber-900">
              Token <strong>{created.name}</strong> created. Copy it now: it is shown only this once.
            </p>
            <CopyField value={created.token} testId="token-value" label="Token" />
            <p className="text-xs text-amber-900">
              On the trainer machine, in a checkout of fewlabel after <code>npm ci</code>:
            </p>
            <CopyField value={trainerCommand(origin, created.token)} testId="token-command" label="Command" />
            <p className="text-xs text-amber-800">
              With a GPU, install <code>@tensorflow/tfjs-node-gpu</code> there, or let it use WebGPU (Vulkan); <code>docker/</code> has an image for it. Only one trainer works on a project at a time.
            </p>
            <Button size="sm" onClick={() => setCreated(null)}>
              Done
            </Button>
          </div>
        )}
        {tokens.isPending ? null : tokens.isError ? (
          <Alert>{errorMessage(tokens.error)}</Alert>
        ) : tokens.data.length === 0 ? (
          <p className="text-sm text-slate-500">No tokens yet. The trainer started with the server (npm start) needs none.</p>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-md ring-1 ring-slate-200">
            {tokens.data.map((t) => (
              <li key={t.id} className="flex flex-wrap items-center justify-between gap-3 px-3 py-2 text-sm" data-testid="token-row" data-token-name={t.name}>
                <div>
                  <div className="font-medium text-slate-900">{t.name}</div>
                  <div className="text-xs text-slate-500">
                    created {formatDate(t.createdAt)} · {t.lastUsedAt ? `last used ${formatDate(t.lastUsedAt)}` : "never used"}
                  </div>
                </div>
                <Button
                  size="sm"
                  variant="dangerGhost"
                  loading={revoke.isPending && revoke.variables?.tokenId === t.id}
                  onClick={() => revoke.mutate({ projectId, tokenId: t.id })}
                  data-testid="revoke-token"
                >
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Card>
  );
}
