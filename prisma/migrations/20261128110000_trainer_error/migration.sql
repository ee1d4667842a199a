-- AlterTable
ALTER TABLE "TrainingControl" ADD COLUMN     "trainerError" TEXT,
ADD COLUMN     "trainerErrorAt" TIMESTAMP(3);

