import type { Metadata } from "next";
import type { ReactNode } from "react";
import { ApiProvider } from "~/lib/trpc";
import "./globals.css";

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
