-- A diversity-aware work order (issue 17, item 5): clusters of the encoder's embeddings, least labelled first.
-- AlterEnum
ALTER TYPE "QueueOrder" ADD VALUE 'DIVERSE';

-- AlterTable
ALTER TABLE "ImageEmbedding" ADD COLUMN     "cluster" INTEGER;
