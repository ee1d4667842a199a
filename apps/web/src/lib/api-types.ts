// Types of what the api returns, inferred from the router so the UI never restates the contract.
import type { AppRouter } from "@fewlabel/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type Role = RouterOutputs["projects"]["get"]["role"];
export type Project = RouterOutputs["projects"]["get"];
export type ProjectSummary = RouterOutputs["projects"]["list"][number];
export type LabelClass = RouterOutputs["classes"]["list"][number];
export type ImageListItem = RouterOutputs["images"]["list"]["items"][number];
export type ImageFilter = NonNullable<RouterInputs["images"]["list"]["filter"]>;
export type Member = RouterOutputs["members"]["list"][number];
