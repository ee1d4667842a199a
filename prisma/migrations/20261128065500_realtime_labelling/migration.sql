-- AlterTable
ALTER TABLE "Annotation" ADD COLUMN     "clientLabelId" TEXT,
ADD COLUMN     "previousClassId" TEXT,
ADD COLUMN     "seq" BIGINT,
ADD COLUMN     "undoOf" BIGINT,
ADD COLUMN     "unsure" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "disagreement" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "voteCount" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "annotatorsPerImage" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "leaseSeconds" INTEGER NOT NULL DEFAULT 120,
ADD COLUMN     "seq" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "Vote" (
    "imageId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "classId" TEXT,
    "unsure" BOOLEAN NOT NULL DEFAULT false,
    "seq" BIGINT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Vote_pkey" PRIMARY KEY ("imageId","userId")
);

-- CreateTable
CREATE TABLE "Lease" (
    "imageId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lease_pkey" PRIMARY KEY ("imageId","userId")
);

-- CreateTable
CREATE TABLE "ProjectEvent" (
    "projectId" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "actorId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProjectEvent_pkey" PRIMARY KEY ("projectId","seq")
);

-- CreateIndex
CREATE INDEX "Vote_projectId_userId_idx" ON "Vote"("projectId", "userId");

-- CreateIndex
CREATE INDEX "Lease_projectId_expiresAt_idx" ON "Lease"("projectId", "expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Annotation_clientLabelId_key" ON "Annotation"("clientLabelId");

-- CreateIndex
CREATE INDEX "Annotation_projectId_authorId_id_idx" ON "Annotation"("projectId", "authorId", "id");

-- CreateIndex
CREATE INDEX "Image_projectId_voteCount_createdAt_idx" ON "Image"("projectId", "voteCount", "createdAt");

-- CreateIndex
CREATE INDEX "Image_projectId_disagreement_idx" ON "Image"("projectId", "disagreement");

-- AddForeignKey
ALTER TABLE "Vote" ADD CONSTRAINT "Vote_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Vote" ADD CONSTRAINT "Vote_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Lease" ADD CONSTRAINT "Lease_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Lease" ADD CONSTRAINT "Lease_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProjectEvent" ADD CONSTRAINT "ProjectEvent_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

