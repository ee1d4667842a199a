// The api's one router: a small router per resource.
import { authRouter } from "./routers/auth";
import { classesRouter } from "./routers/classes";
import { imagesRouter } from "./routers/images";
import { invitesRouter } from "./routers/invites";
import { membersRouter } from "./routers/members";
import { projectsRouter } from "./routers/projects";
import { reviewRouter } from "./routers/review";
import { uploadsRouter } from "./routers/uploads";
import { router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  projects: projectsRouter,
  classes: classesRouter,
  members: membersRouter,
  invites: invitesRouter,
  images: imagesRouter,
  uploads: uploadsRouter,
  review: reviewRouter,
});

export type AppRouter = typeof appRouter;
