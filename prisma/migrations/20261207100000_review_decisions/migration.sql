-- A reviewer's decision: a vote that settles an image whatever the counts (resolve-label.ts), kept in the history.
-- AlterTable
ALTER TABLE "Annotation" ADD COLUMN     "decision" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Vote" ADD COLUMN     "decision" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "Vote_projectId_decision_idx" ON "Vote"("projectId", "decision");
