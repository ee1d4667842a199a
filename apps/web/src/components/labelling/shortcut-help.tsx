"use client";
// The "?" overlay: every keyboard shortcut of the labelling view, including this project's class hotkeys.
import type { LabelClass } from "~/lib/api-types";
import { ColorDot } from "../ui/badge";
import { Modal } from "../ui/modal";

export interface Shortcut {
  keys: string[];
  what: string;
}

export function Kbd({ children, dark = false }: { children: string; dark?: boolean }) {
  return (
    <kbd
      className={`inline-flex min-w-5 items-center justify-center rounded px-1 py-0.5 font-mono text-[11px] leading-none font-semibold ring-1 ring-inset ${dark ? "bg-white/10 text-white ring-white/20" : "bg-slate-50 text-slate-700 ring-slate-300"}`}
    >
      {children}
    </kbd>
  );
}

export function ShortcutHelp({ shortcuts, classes, onClose }: { shortcuts: Shortcut[]; classes: readonly LabelClass[]; onClose: () => void }) {
  const withKeys = classes.filter((c) => c.hotkey);
  return (
    <Modal label="Keyboard shortcuts" onClose={onClose}>
      <div className="p-5 text-slate-900" data-testid="shortcut-help">
        <div className="mb-4 flex items-center justify-between">
          <h2 className="text-base font-semibold">Keyboard shortcuts</h2>
          <button type="button" className="text-slate-400 hover:text-slate-700" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </div>
        <h3 className="mb-2 text-xs font-medium tracking-wide text-slate-500 uppercase">Classes</h3>
        {withKeys.length === 0 ? (
          <p className="mb-4 text-sm text-slate-500">No class has a hotkey yet; owners set them in the project settings.</p>
        ) : (
          <ul className="mb-4 grid grid-cols-2 gap-x-4 gap-y-1.5 text-sm">
            {withKeys.map((c) => (
              <li key={c.id} className="flex items-center gap-2">
                <Kbd>{c.hotkey!}</Kbd>
                <ColorDot color={c.color} />
                <span className="truncate">{c.name}</span>
              </li>
            ))}
          </ul>
        )}
        <h3 className="mb-2 text-xs font-medium tracking-wide text-slate-500 uppercase">Moving and fixing</h3>
        <ul className="space-y-1.5 text-sm">
          {shortcuts.map((s) => (
            <li key={s.what} className="flex items-center justify-between gap-4">
              <span>{s.what}</span>
              <span className="flex gap-1">
                {s.keys.map((k, i) => (
                  <span key={k} className="flex items-center gap-1">
                    {i > 0 && <span className="text-xs text-slate-400">or</span>}
                    <Kbd>{k}</Kbd>
                  </span>
                ))}
              </span>
            </li>
          ))}
        </ul>
      </div>
    </Modal>
  );
}
