-- CreateEnum
CREATE TYPE "TrainingStatus" AS ENUM ('RUNNING', 'PAUSED', 'DONE', 'FAILED');

-- CreateEnum
CREATE TYPE "ModelStage" AS ENUM ('PRETRAIN', 'FINETUNE', 'DISTIL');

-- CreateEnum
CREATE TYPE "PseudoLabelStatus" AS ENUM ('PENDING', 'ACCEPTED', 'REJECTED', 'CORRECTED');

-- CreateTable
CREATE TABLE "TrainerToken" (
    "id" TEXT NOT NULL,
    "projectId" TEXT,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "TrainerToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrainerLease" (
    "projectId" TEXT NOT NULL,
    "leaseId" TEXT NOT NULL,
    "tokenId" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "acquiredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TrainerLease_pkey" PRIMARY KEY ("projectId")
);

-- CreateTable
CREATE TABLE "TrainingControl" (
    "projectId" TEXT NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "fineTuneRequestedAt" TIMESTAMP(3),
    "fineTuneEveryLabels" INTEGER NOT NULL DEFAULT 50,
    "fineTuneEveryFraction" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TrainingControl_pkey" PRIMARY KEY ("projectId")
);

-- CreateTable
CREATE TABLE "TrainingRun" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "status" "TrainingStatus" NOT NULL DEFAULT 'RUNNING',
    "step" INTEGER NOT NULL DEFAULT 0,
    "totalSteps" INTEGER NOT NULL,
    "startStep" INTEGER NOT NULL DEFAULT 0,
    "loss" DOUBLE PRECISION,
    "accuracy" DOUBLE PRECISION,
    "imagesPerSecond" DOUBLE PRECISION,
    "backend" TEXT NOT NULL DEFAULT '',
    "trainer" TEXT NOT NULL DEFAULT '',
    "error" TEXT,
    "history" JSONB NOT NULL DEFAULT '[]',
    "skippedImages" JSONB NOT NULL DEFAULT '[]',
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "TrainingRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrainingCheckpoint" (
    "projectId" TEXT NOT NULL,
    "slot" TEXT NOT NULL,
    "storeKey" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TrainingCheckpoint_pkey" PRIMARY KEY ("projectId","slot")
);

-- CreateTable
CREATE TABLE "ModelVersion" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "stage" "ModelStage" NOT NULL,
    "classIds" TEXT[],
    "metrics" JSONB,
    "provenance" JSONB NOT NULL DEFAULT '{}',
    "files" JSONB NOT NULL DEFAULT '{}',
    "imageCount" INTEGER NOT NULL DEFAULT 0,
    "labelledCount" INTEGER NOT NULL DEFAULT 0,
    "parentId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PseudoLabel" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "classId" TEXT NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "probabilities" DOUBLE PRECISION[],
    "status" "PseudoLabelStatus" NOT NULL DEFAULT 'PENDING',
    "reviewedById" TEXT,
    "reviewedAt" TIMESTAMP(3),
    "correctedClassId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PseudoLabel_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TrainerToken_tokenHash_key" ON "TrainerToken"("tokenHash");

-- CreateIndex
CREATE INDEX "TrainerToken_projectId_idx" ON "TrainerToken"("projectId");

-- CreateIndex
CREATE UNIQUE INDEX "TrainerLease_leaseId_key" ON "TrainerLease"("leaseId");

-- CreateIndex
CREATE INDEX "TrainingRun_projectId_startedAt_idx" ON "TrainingRun"("projectId", "startedAt");

-- CreateIndex
CREATE INDEX "ModelVersion_projectId_stage_version_idx" ON "ModelVersion"("projectId", "stage", "version");

-- CreateIndex
CREATE UNIQUE INDEX "ModelVersion_projectId_version_key" ON "ModelVersion"("projectId", "version");

-- CreateIndex
CREATE INDEX "PseudoLabel_projectId_status_confidence_idx" ON "PseudoLabel"("projectId", "status", "confidence");

-- CreateIndex
CREATE INDEX "PseudoLabel_imageId_status_idx" ON "PseudoLabel"("imageId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "PseudoLabel_modelVersionId_imageId_key" ON "PseudoLabel"("modelVersionId", "imageId");

-- AddForeignKey
ALTER TABLE "TrainerToken" ADD CONSTRAINT "TrainerToken_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainerLease" ADD CONSTRAINT "TrainerLease_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingControl" ADD CONSTRAINT "TrainingControl_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingRun" ADD CONSTRAINT "TrainingRun_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingCheckpoint" ADD CONSTRAINT "TrainingCheckpoint_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelVersion" ADD CONSTRAINT "ModelVersion_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PseudoLabel" ADD CONSTRAINT "PseudoLabel_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PseudoLabel" ADD CONSTRAINT "PseudoLabel_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PseudoLabel" ADD CONSTRAINT "PseudoLabel_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PseudoLabel" ADD CONSTRAINT "PseudoLabel_classId_fkey" FOREIGN KEY ("classId") REFERENCES "LabelClass"("id") ON DELETE CASCADE ON UPDATE CASCADE;

