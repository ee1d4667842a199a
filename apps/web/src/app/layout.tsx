import type { Metadata } from "next";
import type { ReactNode } from "react";
import { ApiProvider } from "~/lib/trpc";
import "./globals.css";

// Every page is rendered per request: its scripts carry the request's CSP nonce (see server/create-server.ts), which a
// page prerendered at build time could not.
export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "fewlabel", description: "Label together while a model learns from every image." };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <ApiProvider>{children}</ApiProvider>
      </body>
    </html>
  );
}
