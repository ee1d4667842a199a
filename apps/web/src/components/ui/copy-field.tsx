"use client";
// A value shown once for the user to copy (an invite link, a trainer token and its command line): read-only input,
// selected on focus, and a Copy button that says whether the clipboard took it.
import { useState } from "react";
import { Button } from "./button";
import { inputClass } from "./field";

export function CopyField({ value, testId, label }: { value: string; testId: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="flex gap-2">
      <input readOnly value={value} className={inputClass(false, "flex-1 font-mono text-xs")} onFocus={(e) => e.target.select()} aria-label={label} data-testid={testId} />
      <Button
        size="sm"
        onClick={() =>
          void navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? "Copied" : "Copy"}
      </Button>
    </div>
  );
}
