-- The embedding map (issue 17, item 4): each embedding's place on the 2D projection, and selections made on the map
-- that the grid can show.
-- AlterTable
ALTER TABLE "ImageEmbedding" ADD COLUMN     "mapX" DOUBLE PRECISION,
ADD COLUMN     "mapY" DOUBLE PRECISION;

-- CreateTable
CREATE TABLE "ImageSelection" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ImageSelection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImageSelectionItem" (
    "selectionId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,

    CONSTRAINT "ImageSelectionItem_pkey" PRIMARY KEY ("selectionId","imageId")
);

-- CreateIndex
CREATE INDEX "ImageSelection_projectId_userId_createdAt_idx" ON "ImageSelection"("projectId", "userId", "createdAt");

-- CreateIndex
CREATE INDEX "ImageSelectionItem_imageId_idx" ON "ImageSelectionItem"("imageId");

-- AddForeignKey
ALTER TABLE "ImageSelection" ADD CONSTRAINT "ImageSelection_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageSelection" ADD CONSTRAINT "ImageSelection_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageSelectionItem" ADD CONSTRAINT "ImageSelectionItem_selectionId_fkey" FOREIGN KEY ("selectionId") REFERENCES "ImageSelection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageSelectionItem" ADD CONSTRAINT "ImageSelectionItem_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;
