"use client";
// The inputs of one label class (colour, name, hotkey), shared by the new-project form and the classes editor.
import { inputClass } from "../ui/field";

export interface ClassDraft {
  name: string;
  color: string;
  hotkey: string | null;
}

export function ClassFields({ value, onChange, disabled = false, autoFocus = false }: { value: ClassDraft; onChange: (v: ClassDraft) => void; disabled?: boolean; autoFocus?: boolean }) {
  return (
    <div className="flex min-w-0 flex-1 items-center gap-2">
      <input
        type="color"
        aria-label="Colour"
        value={value.color}
        disabled={disabled}
        onChange={(e) => onChange({ ...value, color: e.target.value })}
        className="h-9 w-10 shrink-0 cursor-pointer rounded-md border border-slate-300 bg-white p-1 disabled:cursor-default"
      />
      <input
        aria-label="Class name"
        placeholder="Class name, e.g. cat"
        value={value.name}
        disabled={disabled}
        autoFocus={autoFocus}
        maxLength={80}
        onChange={(e) => onChange({ ...value, name: e.target.value })}
        className={inputClass(false, "min-w-0 flex-1")}
      />
      <input
        aria-label="Hotkey"
        title="Hotkey: one digit or lower-case letter"
        placeholder="key"
        value={value.hotkey ?? ""}
        disabled={disabled}
        maxLength={1}
        onChange={(e) => onChange({ ...value, hotkey: e.target.value.toLowerCase().slice(-1) || null })}
        className={inputClass(false, "w-14 shrink-0 text-center font-mono")}
      />
    </div>
  );
}
