// The instance-wide settings the admin chooses, in one row that exists once someone changed a default.
import type { Prisma, PrismaClient } from "@fewlabel/db";
import { z } from "zod";

export const signUpPolicies = ["open", "invite-only", "closed"] as const;
export type SignUpPolicy = (typeof signUpPolicies)[number];
export const signUpPolicySchema = z.enum(signUpPolicies);

type Db = PrismaClient | Prisma.TransactionClient;

export async function signUpPolicy(db: Db): Promise<SignUpPolicy> {
  const row = await db.instanceSettings.findUnique({ where: { id: "instance" }, select: { signUpPolicy: true } });
  const parsed = signUpPolicySchema.safeParse(row?.signUpPolicy);
  return parsed.success ? parsed.data : "open";
}

export async function setSignUpPolicy(db: Db, policy: SignUpPolicy): Promise<void> {
  await db.instanceSettings.upsert({ where: { id: "instance" }, create: { id: "instance", signUpPolicy: policy }, update: { signUpPolicy: policy } });
}
