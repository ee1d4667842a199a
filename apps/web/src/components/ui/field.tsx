// Labelled form inputs with their error message underneath.
import { type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes, useId } from "react";

const inputBase =
  "block rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-xs ring-1 ring-inset placeholder:text-slate-400 focus:outline-none focus:ring-2 focus:ring-inset disabled:bg-slate-50 disabled:text-slate-500";

/** `extra` sets the width (`w-56`, `flex-1`); without one the input fills its container. */
export function inputClass(invalid = false, extra = ""): string {
  const width = /(^|\s)(w-|flex-1)/.test(extra) ? "" : "w-full";
  return `${inputBase} ${width} ${invalid ? "ring-rose-400 focus:ring-rose-500" : "ring-slate-300 focus:ring-indigo-600"} ${extra}`;
}

interface FieldProps {
  label: ReactNode;
  error?: string | undefined;
  hint?: ReactNode;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}

export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const msgId = `${id}-msg`;
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children(id, error || hint ? msgId : undefined)}
      {error ? (
        <p id={msgId} className="text-xs text-rose-600">
          {error}
        </p>
      ) : hint ? (
        <p id={msgId} className="text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function TextField({ label, error, hint, ...input }: { label: ReactNode; error?: string | undefined; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(id, describedBy) => <input id={id} aria-invalid={!!error} aria-describedby={describedBy} className={inputClass(!!error)} {...input} />}
    </Field>
  );
}

export function TextAreaField({ label, error, hint, ...input }: { label: ReactNode; error?: string | undefined; hint?: ReactNode } & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(id, describedBy) => <textarea id={id} aria-invalid={!!error} aria-describedby={describedBy} className={inputClass(!!error)} rows={3} {...input} />}
    </Field>
  );
}
