// The api's one router: a small router per resource.
import { adminRouter } from "./routers/admin";
import { authRouter } from "./routers/auth";
import { classesRouter } from "./routers/classes";
import { experimentsRouter } from "./routers/experiments";
import { imagesRouter } from "./routers/images";
import { invitesRouter } from "./routers/invites";
import { membersRouter } from "./routers/members";
import { modelsRouter } from "./routers/models";
import { projectsRouter } from "./routers/projects";
import { pseudoLabelsRouter } from "./routers/pseudo-labels";
import { reviewRouter } from "./routers/review";
import { trainerRouter } from "./routers/trainer";
import { trainingRouter } from "./routers/training";
import { uploadsRouter } from "./routers/uploads";
import { router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  admin: adminRouter,
  projects: projectsRouter,
  classes: classesRouter,
  members: membersRouter,
  invites: invitesRouter,
  images: imagesRouter,
  uploads: uploadsRouter,
  review: reviewRouter,
  training: trainingRouter,
  models: modelsRouter,
  pseudoLabels: pseudoLabelsRouter,
  trainer: trainerRouter,
  experiments: experimentsRouter,
});

export type AppRouter = typeof appRouter;
