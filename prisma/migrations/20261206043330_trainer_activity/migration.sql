-- AlterTable
ALTER TABLE "TrainingControl" ADD COLUMN     "activity" JSONB,
ADD COLUMN     "activityAt" TIMESTAMP(3),
ADD COLUMN     "activityLeaseId" TEXT;

