-- "More like this" asks on every search whether a project's embeddings changed (their newest updatedAt): with the
-- time in the index that is one index lookup instead of a pass over every embedding of the version.
-- DropIndex
DROP INDEX "ImageEmbedding_projectId_modelVersionId_idx";

-- CreateIndex
CREATE INDEX "ImageEmbedding_projectId_modelVersionId_updatedAt_idx" ON "ImageEmbedding"("projectId", "modelVersionId", "updatedAt");
