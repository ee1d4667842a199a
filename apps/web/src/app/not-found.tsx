import Link from "next/link";
import { buttonClass } from "~/components/ui/button";

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4 px-4 text-center">
      <p className="text-sm font-semibold text-indigo-600">404</p>
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">This page does not exist</h1>
      <Link href="/" className={buttonClass("primary")}>
        Back to your projects
      </Link>
    </main>
  );
}
