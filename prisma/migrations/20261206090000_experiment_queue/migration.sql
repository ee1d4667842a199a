-- AlterEnum
ALTER TYPE "ExperimentStatus" ADD VALUE 'QUEUED' BEFORE 'RUNNING';
