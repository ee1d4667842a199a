-- Possible label errors (issue 17): human labels the model confidently contradicts, for reviewers.
-- CreateEnum
CREATE TYPE "LabelIssueStatus" AS ENUM ('OPEN', 'KEPT', 'CHANGED');

-- CreateTable
CREATE TABLE "LabelIssue" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "givenClassId" TEXT NOT NULL,
    "suggestedClassId" TEXT NOT NULL,
    "selfConfidence" DOUBLE PRECISION NOT NULL,
    "suggestedConfidence" DOUBLE PRECISION NOT NULL,
    "status" "LabelIssueStatus" NOT NULL DEFAULT 'OPEN',
    "reviewedById" TEXT,
    "reviewedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LabelIssue_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LabelIssue_projectId_status_selfConfidence_idx" ON "LabelIssue"("projectId", "status", "selfConfidence");

-- CreateIndex
CREATE UNIQUE INDEX "LabelIssue_imageId_givenClassId_key" ON "LabelIssue"("imageId", "givenClassId");

-- AddForeignKey
ALTER TABLE "LabelIssue" ADD CONSTRAINT "LabelIssue_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LabelIssue" ADD CONSTRAINT "LabelIssue_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LabelIssue" ADD CONSTRAINT "LabelIssue_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;
