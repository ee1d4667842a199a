-- Near-duplicate groups (issue 17, item 3) and images hidden as duplicates.
-- CreateEnum
CREATE TYPE "DuplicateGroupStatus" AS ENUM ('OPEN', 'RESOLVED', 'DISTINCT');

-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "hiddenAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "DuplicateGroup" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "memberKey" TEXT NOT NULL,
    "similarity" DOUBLE PRECISION NOT NULL,
    "straddlesHoldout" BOOLEAN NOT NULL DEFAULT false,
    "status" "DuplicateGroupStatus" NOT NULL DEFAULT 'OPEN',
    "keptImageId" TEXT,
    "resolvedById" TEXT,
    "resolvedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DuplicateGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DuplicateMember" (
    "groupId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,

    CONSTRAINT "DuplicateMember_pkey" PRIMARY KEY ("groupId","imageId")
);

-- CreateIndex
CREATE INDEX "DuplicateGroup_projectId_status_idx" ON "DuplicateGroup"("projectId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "DuplicateGroup_projectId_memberKey_key" ON "DuplicateGroup"("projectId", "memberKey");

-- CreateIndex
CREATE INDEX "DuplicateMember_imageId_idx" ON "DuplicateMember"("imageId");

-- AddForeignKey
ALTER TABLE "DuplicateGroup" ADD CONSTRAINT "DuplicateGroup_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DuplicateMember" ADD CONSTRAINT "DuplicateMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DuplicateGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DuplicateMember" ADD CONSTRAINT "DuplicateMember_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;
