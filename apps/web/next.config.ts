import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages are TypeScript source; Next compiles them for the browser bundle (types only, in practice).
  transpilePackages: ["@fewlabel/api", "@fewlabel/realtime", "@fewlabel/experiments", "@fewlabel/ml"],
  reactStrictMode: true,
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default config;
