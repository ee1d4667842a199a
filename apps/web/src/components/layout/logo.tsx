// The product mark: a few labelled squares.
import Link from "next/link";

export function Logo() {
  return (
    <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight text-slate-900">
      <span className="grid size-6 grid-cols-2 gap-0.5 rounded-md bg-indigo-600 p-1" aria-hidden="true">
        <span className="rounded-[2px] bg-white" />
        <span className="rounded-[2px] bg-indigo-300" />
        <span className="rounded-[2px] bg-indigo-300" />
        <span className="rounded-[2px] bg-white/40" />
      </span>
      fewlabel
    </Link>
  );
}
