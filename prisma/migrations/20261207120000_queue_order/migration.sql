-- Active learning in the work queue (issue 17): a project chooses how claimNextImage orders images, and suggestions
-- keep the margin between their top two classes for the MARGIN order.
-- CreateEnum
CREATE TYPE "QueueOrder" AS ENUM ('OLDEST', 'RANDOM', 'LEAST_CONFIDENT', 'MARGIN');

-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "queueOrder" "QueueOrder" NOT NULL DEFAULT 'OLDEST';

-- AlterTable
ALTER TABLE "PseudoLabel" ADD COLUMN     "margin" DOUBLE PRECISION;

-- CreateIndex
CREATE INDEX "PseudoLabel_projectId_status_margin_idx" ON "PseudoLabel"("projectId", "status", "margin");
