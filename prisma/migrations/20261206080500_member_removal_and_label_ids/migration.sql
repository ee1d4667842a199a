-- CreateTable
CREATE TABLE "MemberRemoval" (
    "projectId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "removedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MemberRemoval_pkey" PRIMARY KEY ("projectId","userId")
);

-- AddForeignKey
ALTER TABLE "MemberRemoval" ADD CONSTRAINT "MemberRemoval_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MemberRemoval" ADD CONSTRAINT "MemberRemoval_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A client's label id is unique per author, not across every user (a vote reusing another user's id was dropped).
DROP INDEX "Annotation_clientLabelId_key";

-- CreateIndex
CREATE UNIQUE INDEX "Annotation_authorId_clientLabelId_key" ON "Annotation"("authorId", "clientLabelId");

-- CreateIndex
CREATE INDEX "Annotation_clientLabelId_idx" ON "Annotation"("clientLabelId");
