// Suggestions that react in seconds (issue 12, item 6). Stage 3 labels every image with a fine-tuned teacher, minutes
// after labels change; meanwhile this keeps the pending suggestions current from the newest pretrained encoder:
//   - every image is embedded once per encoder version (the "pretrain" checkpoint slot, read while it holds that
//     version's finished run) and the embeddings stay in this process's memory, keyed by the version; images uploaded
//     later are embedded as they come with the same encoder;
//   - beside the embeddings, each image's pixels downsampled to at most PIXEL_VALUES values (20x20 grayscale, 11x11
//     colour: on Fashion-MNIST with 300 labels, pixel kNN and logistic regression at 20x20 are within 0.3 points of
//     28x28; 100,000 images take 160 MB);
//   - a refresh fits the quick head (quick-head.ts: kNN or a linear probe, on the embeddings or on the pixels, chosen
//     by cross-validation, chosen again when the labels grew by 10%) on the training labels (held-out labels stay
//     held out: they score it) and posts class probabilities for every unlabelled image, only those that changed,
//     through postPseudoLabels `refresh`;
//   - the suggestions are attributed to the encoder's PRETRAIN version, whose own metrics are the same method (kNN on
//     its embeddings, scored on held-out labels), and the event names the head (`source`), so people see a quick
//     suggestion for what it is; a serving teacher or student that scores better keeps its pending suggestions.
// When a refresh is due is decided by quick-refresh-rule.ts: by the reconciler between stages, and here between the
// steps of a heavy stage, so labels given during a long pretraining get suggestions within seconds too.
import { encodeVector } from "@fewlabel/api/embedding-vector";
import { createEncoder, encoderFeatures, type PairSimilarity, tensorImageSource, tf, type tfl } from "@fewlabel/ml";
import type { SuggestionSource } from "@fewlabel/realtime";
import { type TrainerApi, trpcCode } from "./api-client";
import { peekCheckpoint, restoreCheckpoint } from "./checkpoints";
import type { TrainerConfig } from "./config";
import { splitLabels } from "./holdout";
import { assignToClusters, type Clusters, clusterCount, kMeans } from "./clusters";
import { type FittedMap, fitEmbeddingMap, placeOnMap } from "./embedding-map";
import { findDuplicateGroups, type FoundGroup, straddlesHoldout } from "./near-duplicates";
import { findLabelIssues, outOfFoldProbabilities } from "./label-issues";
import type { ImageCache } from "./images";
import type { LeaseKeeper } from "./lease";
import { chooseQuickHead, type QuickFeatures, type QuickHeadChoice } from "./quick-head";
import { keepTeacherSuggestions, labelStateOf, type QuickRefreshMemory, quickRefreshDue, type QuickSuggestionsAction } from "./quick-refresh-rule";

type ProjectState = Awaited<ReturnType<TrainerApi["trpc"]["state"]["query"]>>;

/** What the pretraining checkpoint's `extra` says (project-trainer.ts writes it). */
interface PretrainCheckpointExtra {
  spec: { inputSize: number; channels: 1 | 3; widths: number[]; blocks: number[] };
  run: number;
  done?: boolean;
}

interface Embeddings {
  encoderVersionId: string;
  encoder: tfl.LayersModel;
  channels: 1 | 3;
  /** The encoder's input size. */
  inputSize: number;
  /** Image id -> row of `features` and `pixels`. */
  row: Map<string, number>;
  features: tf.Tensor2D;
  /** The images' pixels at `pixelSide` x `pixelSide`, one row each. */
  pixels: tf.Tensor2D;
  pixelSide: number;
}

export interface QuickRefreshReport {
  /** Suggestions posted (new or changed). */
  posted: number;
  unlabelled: number;
  head: SuggestionSource | null;
  /** Why nothing was posted, when nothing was. */
  note?: string;
  ms: number;
}

const POST_BATCH = 500;
/**
 * The head is chosen again (cross-validating both candidates, five probes' worth of work) when the training labels
 * changed by this fraction (at least 5 labels) since the last choice; in between a refresh only refits the chosen one.
 */
const RECHOOSE_FRACTION = 0.1;
const EMBED_CHUNK = 512;
/** At most this many pixel values per image for the pixel candidates of the quick head. */
const PIXEL_VALUES = 400;

/** The side the quick head's pixel rows are downsampled to: the input size, or less where that has too many values. */
export function pixelSide(inputSize: number, channels: 1 | 3): number {
  return Math.max(1, Math.min(inputSize, Math.floor(Math.sqrt(PIXEL_VALUES / channels))));
}
/** A suggestion whose class is the same and whose confidence moved less than this is not posted again. */
const CONFIDENCE_STEP = 0.02;

/** Most images the embedding map lays out with UMAP; the rest are placed by their neighbours (embedding-map.ts). */
const MAP_FIT_MAX = 3000;
const MAP_POST = 5000;
const clamp01 = (v: number) => Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0.5));

const round4 = (v: number) => Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 1e4) / 1e4;

export class QuickSuggestions {
  readonly memory: QuickRefreshMemory;
  private embeddings: Embeddings | null = null;
  /** Which embeddings of which encoder version the server has; whether it has the route at all (null: not known). */
  private embeddingsPosted: { version: string; ids: Set<string> } = { version: "", ids: new Set() };
  private embeddingsRoute: boolean | null = null;
  private labelIssuesRoute: boolean | null = null;
  private mapRoute: boolean | null = null;
  private duplicatesRoute: boolean | null = null;
  /** The images (and held-out state) the groups were last posted for, and the groups found then. */
  private duplicates: { imagesKey: string; groups: FoundGroup[]; postedKey: string; verified: Map<string, PairSimilarity> } = { imagesKey: "", groups: [], postedKey: "", verified: new Map() };
  /** The embedding map of an encoder version: fitted on how many images, and which images the server has placed. */
  private mapState: { version: string; map: FittedMap | null; clusters: Clusters | null; fittedOn: number; posted: Set<string> } = {
    version: "",
    map: null,
    clusters: null,
    fittedOn: 0,
    posted: new Set(),
  };
  /** An encoder version whose weights were not to be had (its slot had moved on): not asked again. */
  private unavailable: string | null = null;
  /** What was posted per image under `postedKey` (encoder version, the serving versions whose suggestions are kept). */
  private posted = new Map<string, { classId: string; confidence: number }>();
  private postedKey = "";
  private lastCheck = 0;
  /** The last "nothing posted" note, so that one reason is logged once, not at every label. */
  private lastNote: string | undefined;
  private choice: (QuickHeadChoice & { encoderVersionId: string }) | null = null;

  constructor(
    private readonly api: TrainerApi,
    private readonly cfg: TrainerConfig,
    private readonly projectId: string,
    private readonly cache: ImageCache,
    private readonly log: (m: string) => void,
  ) {
    this.memory = { minIntervalSeconds: cfg.quickRefreshSeconds, last: null };
  }

  /**
   * Between two steps of a heavy stage: a quick refresh if one is due (at most one summary request per interval).
   * Never throws: quick suggestions must not fail the stage they ride along.
   */
  async betweenSteps(lease: LeaseKeeper): Promise<void> {
    if (this.memory.minIntervalSeconds <= 0 || Date.now() - this.lastCheck < this.memory.minIntervalSeconds * 1000) return;
    this.lastCheck = Date.now();
    try {
      const summary = await this.api.trpc.summary.query({ projectId: this.projectId });
      if (summary.control.paused || !quickRefreshDue(summary, this.memory)) return;
      const state = await this.api.trpc.state.query({ projectId: this.projectId });
      const action = quickRefreshDue(state, this.memory);
      if (action) await this.refresh(lease, state, action);
    } catch (err) {
      this.log(`quick suggestions: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Refreshes the pending suggestions from the embeddings of `action`'s encoder version and the labels in `state`;
   * then, when the project's images changed, its near-duplicate groups (after the suggestions: they take longer).
   */
  async refresh(lease: LeaseKeeper, state: ProjectState, action: QuickSuggestionsAction): Promise<QuickRefreshReport> {
    const report = await this.refreshSuggestions(lease, state, action);
    const emb = this.embeddings?.encoderVersionId === action.encoderVersionId ? this.embeddings : null;
    if (emb) await this.postDuplicates(lease, state, emb).catch((err: unknown) => this.log(`near-duplicates: ${err instanceof Error ? err.message : String(err)}`));
    return report;
  }

  private async refreshSuggestions(lease: LeaseKeeper, state: ProjectState, action: QuickSuggestionsAction): Promise<QuickRefreshReport> {
    this.cache.describe(state.trainingCopy, state.images);
    const t0 = performance.now();
    const labelState = labelStateOf(state);
    const done = (r: Omit<QuickRefreshReport, "ms">): QuickRefreshReport => {
      this.memory.last = { encoderVersionId: action.encoderVersionId, labelChanges: labelState, at: Date.now() };
      const report = { ...r, ms: performance.now() - t0 };
      const head = r.head
        ? `${r.head.head} on ${r.head.features === "pixels" ? "pixels" : "embeddings"}${r.head.k ? ` k=${r.head.k}` : ""} (cv ${(r.head.cvAccuracy * 100).toFixed(0)}% on ${r.head.cvLabels} labels, trained on ${r.head.trainLabels}${r.head.heldOutAccuracy === null ? "" : `, held-out ${(r.head.heldOutAccuracy * 100).toFixed(0)}%`})`
        : "";
      if (!r.note || r.note !== this.lastNote)
        this.log(`quick suggestions (${action.reason}): ${r.note ?? `${head}: ${r.posted} posted of ${r.unlabelled} unlabelled`} in ${(report.ms / 1000).toFixed(1)} s`);
      this.lastNote = r.note;
      return report;
    };
    const version = state.models.find((m) => m.id === action.encoderVersionId);
    if (!version) return done({ posted: 0, unlabelled: 0, head: null, note: "the encoder version is gone" });
    const emb = await this.embeddingsOf(state, version.id);
    if (!emb)
      return done({
        posted: 0,
        unlabelled: 0,
        head: null,
        note: `the weights of encoder v${version.version} are not at hand (its checkpoint slot has moved on); quick suggestions wait for the next encoder`,
      });
    await this.embedNew(
      emb,
      state.images.map((i) => i.id),
    );
    await this.postEmbeddings(lease, emb);
    // The map comes before the suggestions (it needs no labels), and a failure of it must not hold them up.
    await this.postMap(lease, emb).catch((err: unknown) => this.log(`embedding map: ${err instanceof Error ? err.message : String(err)}`));

    // The version's class order: suggestions must match its classIds (classes added since are not in it).
    const classIds = version.classIds;
    const index = new Map(classIds.map((c, i) => [c, i]));
    const labelled = state.images.filter((i) => i.labelClassId !== null && index.has(i.labelClassId) && emb.row.has(i.id));
    const { train, heldOut } = splitLabels(labelled, this.cfg.minLabelsForHoldout, this.cfg.minHeldOut);
    const unlabelled = state.images.filter((i) => i.labelClassId === null && emb.row.has(i.id)).map((i) => i.id);
    const trainLabels = train.map((i) => index.get(i.labelClassId!)!);
    if (new Set(trainLabels).size < 2) return done({ posted: 0, unlabelled: unlabelled.length, head: null, note: "waiting for training labels in two classes" });
    const rows = (ids: string[], features: QuickFeatures) =>
      tf.tidy(
        () =>
          tf.gather(
            features === "encoder" ? emb.features : emb.pixels,
            tf.tensor1d(
              ids.map((id) => emb.row.get(id)!),
              "int32",
            ),
          ) as tf.Tensor2D,
      );
    await this.postLabelIssues(lease, version.id, labelled, classIds, rows);
    if (unlabelled.length === 0) return done({ posted: 0, unlabelled: 0, head: null, note: "every image is labelled" });

    const trainIds = train.map((i) => i.id);
    // Pixels first: the baseline, which the embeddings must beat by more than the noise of the labels to be used.
    const sets = (["pixels", "encoder"] as const).map((features) => ({ features, rows: rows(trainIds, features) }));
    const kept = this.choice?.encoderVersionId === version.id && Math.abs(train.length - this.choice.cvLabels) < Math.max(5, RECHOOSE_FRACTION * this.choice.cvLabels) ? this.choice : undefined;
    const head = await chooseQuickHead(sets, trainLabels, { numClasses: classIds.length, seed: this.cfg.seed, choice: kept }).finally(() => sets.forEach((s) => s.rows.dispose()));
    this.choice = { features: head.features, method: head.method, k: head.k, cvAccuracy: head.cvAccuracy, cvLabels: head.cvLabels, candidates: head.candidates, encoderVersionId: version.id };
    try {
      let heldOutAccuracy: number | null = null;
      if (heldOut.length >= Math.max(1, this.cfg.minHeldOut)) {
        const x = rows(
          heldOut.map((i) => i.id),
          head.features,
        );
        const p = await head.probabilities(x).finally(() => x.dispose());
        heldOutAccuracy = heldOut.filter((img, r) => argmaxAt(p, r, classIds.length) === index.get(img.labelClassId!)).length / heldOut.length;
      }
      const source: SuggestionSource = {
        kind: "quick",
        features: head.features,
        head: head.method,
        k: head.k,
        trainLabels: train.length,
        cvAccuracy: head.cvAccuracy,
        cvLabels: head.cvLabels,
        heldOutAccuracy,
      };

      // A serving teacher or student that scores better keeps its pending suggestions (the server skips those images).
      const keepPendingOf = [state.serving?.teacherId, state.serving?.studentId].filter(
        (id): id is string =>
          !!id &&
          keepTeacherSuggestions(
            state.models.find((m) => m.id === id),
            heldOutAccuracy,
          ),
      );
      const key = JSON.stringify([version.id, keepPendingOf]);
      if (key !== this.postedKey) {
        this.posted.clear();
        this.postedKey = key;
      }

      const x = rows(unlabelled, head.features);
      const p = await head.probabilities(x).finally(() => x.dispose());
      const k = classIds.length;
      const items = unlabelled.flatMap((imageId, r) => {
        const c = argmaxAt(p, r, k);
        const confidence = round4(p[r * k + c]!);
        const before = this.posted.get(imageId);
        if (before && before.classId === classIds[c] && Math.abs(before.confidence - confidence) < CONFIDENCE_STEP) return [];
        return [{ imageId, classId: classIds[c]!, confidence, probabilities: Array.from(p.subarray(r * k, (r + 1) * k), round4) }];
      });
      let posted = 0;
      for (let start = 0; start < items.length; start += POST_BATCH) {
        const batch = items.slice(start, start + POST_BATCH);
        posted += (await this.api.trpc.postPseudoLabels.mutate({ projectId: this.projectId, leaseId: lease.leaseId, modelVersionId: version.id, items: batch, refresh: true, keepPendingOf, source }))
          .stored;
        for (const i of batch) this.posted.set(i.imageId, { classId: i.classId, confidence: i.confidence });
      }
      return done({ posted, unlabelled: unlabelled.length, head: source });
    } finally {
      head.dispose();
    }
  }

  /** The embeddings of an encoder version: from memory, or computed from the pretraining slot when it holds it. */
  private async embeddingsOf(state: ProjectState, encoderVersionId: string): Promise<Embeddings | null> {
    if (this.embeddings?.encoderVersionId === encoderVersionId) return this.embeddings;
    if (this.unavailable === encoderVersionId) return null;
    // The slot holds the newest pretraining run; a finished run r is the (r+1)-th PRETRAIN version (runs are numbered
    // by the versions before them). A slot already on the next run no longer has this version's weights.
    const run = state.models.filter((m) => m.stage === "PRETRAIN").findIndex((m) => m.id === encoderVersionId);
    const slot = await peekCheckpoint<PretrainCheckpointExtra>(this.api, this.projectId, "pretrain");
    const extra = slot?.info.extra;
    if (!slot || !extra?.done || extra.run !== run) {
      this.unavailable = encoderVersionId;
      return null;
    }
    const encoder = createEncoder({ inputSize: extra.spec.inputSize, channels: extra.spec.channels, widths: extra.spec.widths, blocks: extra.spec.blocks, seed: this.cfg.seed });
    try {
      await restoreCheckpoint(slot.blob, { encoder });
    } catch (err) {
      encoder.dispose();
      throw err;
    }
    this.disposeEmbeddings();
    const side = pixelSide(extra.spec.inputSize, extra.spec.channels);
    this.embeddings = {
      encoderVersionId,
      encoder,
      channels: extra.spec.channels,
      inputSize: extra.spec.inputSize,
      row: new Map(),
      features: tf.zeros([0, encoder.outputs[0]!.shape[1] as number]) as tf.Tensor2D,
      pixels: tf.zeros([0, side * side * extra.spec.channels]) as tf.Tensor2D,
      pixelSide: side,
    };
    return this.embeddings;
  }

  /** Embeds the images of `ids` that are not embedded yet (downloading them first); unreadable ones are left out. */
  private async embedNew(emb: Embeddings, ids: string[]): Promise<void> {
    const todo = ids.filter((id) => !emb.row.has(id));
    if (todo.length === 0) return;
    await this.cache.load(todo);
    const ready = todo.filter((id) => this.cache.has(id));
    for (let start = 0; start < ready.length; start += EMBED_CHUNK) {
      const chunk = ready.slice(start, start + EMBED_CHUNK);
      // At the encoder's own input size, whatever the stage running now makes the images for.
      const images = this.cache.tensor(chunk, emb.channels, emb.inputSize);
      const pixels = tf.tidy(() => tf.reshape(tf.image.resizeBilinear(images, [emb.pixelSide, emb.pixelSide], true), [chunk.length, -1]) as tf.Tensor2D);
      const f = await encoderFeatures(emb.encoder, tensorImageSource(images)).finally(() => images.dispose());
      const [features, allPixels] = [tf.concat([emb.features, f], 0) as tf.Tensor2D, tf.concat([emb.pixels, pixels], 0) as tf.Tensor2D];
      tf.dispose([emb.features, f, emb.pixels, pixels]);
      emb.features = features;
      emb.pixels = allPixels;
      for (const id of chunk) emb.row.set(id, emb.row.size);
    }
  }

  /**
   * Sends the server the embeddings it does not have yet from this encoder version (issue 17: "more like this"), in
   * posts of about 600 KB. A server without the route is asked once.
   */
  private async postEmbeddings(lease: LeaseKeeper, emb: Embeddings): Promise<void> {
    if (this.embeddingsRoute === false) return;
    if (this.embeddingsPosted.version !== emb.encoderVersionId) this.embeddingsPosted = { version: emb.encoderVersionId, ids: new Set() };
    const posted = this.embeddingsPosted.ids;
    const todo = [...emb.row.entries()].filter(([id]) => !posted.has(id));
    if (todo.length === 0) return;
    const dim = emb.features.shape[1];
    const perPost = Math.max(1, Math.min(1000, Math.floor(600_000 / (dim * 6 + 64))));
    const all = await emb.features.data();
    for (let start = 0; start < todo.length; start += perPost) {
      const batch = todo.slice(start, start + perPost);
      const items = batch.map(([imageId, row]) => ({ imageId, vector: encodeVector(all.subarray(row * dim, (row + 1) * dim)) }));
      try {
        await this.api.trpc.postEmbeddings.mutate({ projectId: this.projectId, leaseId: lease.leaseId, modelVersionId: emb.encoderVersionId, items });
      } catch (err) {
        if (trpcCode(err) === "NOT_FOUND" && /procedure/i.test(String((err as Error).message))) {
          this.embeddingsRoute = false;
          this.log("the server keeps no embeddings (an older version): more-like-this stays off");
          return;
        }
        throw err;
      }
      for (const [id] of batch) posted.add(id);
    }
    this.embeddingsRoute = true;
  }

  /**
   * The embedding map (issue 17, item 4; embedding-map.ts): laid out once per encoder version, laid out again while
   * the project is small and has doubled since (a map of the first 40 images is a poor frame for 3,000), otherwise new
   * images are placed on it; only images whose embeddings the server has, since a point belongs to an embedding. A
   * server without the route is asked once.
   */
  private async postMap(lease: LeaseKeeper, emb: Embeddings): Promise<void> {
    if (this.mapRoute === false || this.embeddingsPosted.version !== emb.encoderVersionId) return;
    if (this.mapState.version !== emb.encoderVersionId) this.mapState = { version: emb.encoderVersionId, map: null, clusters: null, fittedOn: 0, posted: new Set() };
    const state = this.mapState;
    const embedded = [...emb.row.entries()].filter(([id]) => this.embeddingsPosted.ids.has(id));
    const refit = !state.map || (state.fittedOn < MAP_FIT_MAX && embedded.length >= 2 * state.fittedOn);
    const todo = refit ? embedded : embedded.filter(([id]) => !state.posted.has(id));
    if (todo.length === 0) return;
    const dim = emb.features.shape[1];
    const all = await emb.features.data();
    const rows = new Float32Array(todo.length * dim);
    todo.forEach(([, row], i) => rows.set(all.subarray(row * dim, (row + 1) * dim), i * dim));
    const started = Date.now();
    let xy: Float32Array;
    let cluster: Int32Array;
    if (refit) {
      const fit = await fitEmbeddingMap(rows, dim, { fitMax: MAP_FIT_MAX, seed: this.cfg.seed });
      // The same embeddings' clusters, for the DIVERSE work order.
      const clusters = await kMeans(rows, dim, clusterCount(todo.length), this.cfg.seed);
      [state.map, state.clusters, state.fittedOn, state.posted, xy, cluster] = [fit.map, clusters, todo.length, new Set(), fit.xy, clusters.assignment];
      this.log(
        `embedding map: ${todo.length} images laid out (UMAP on ${Math.min(todo.length, MAP_FIT_MAX)}) in ${clusters.centres.length / dim} clusters in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } else [xy, cluster] = await Promise.all([placeOnMap(state.map!, rows), assignToClusters(state.clusters!, rows, dim)]);
    for (let start = 0; start < todo.length; start += MAP_POST) {
      const points = todo.slice(start, start + MAP_POST).map(([imageId], j) => ({ imageId, x: clamp01(xy[2 * (start + j)]!), y: clamp01(xy[2 * (start + j) + 1]!), cluster: cluster[start + j]! }));
      try {
        await this.api.trpc.postMapPoints.mutate({ projectId: this.projectId, leaseId: lease.leaseId, modelVersionId: emb.encoderVersionId, points });
      } catch (err) {
        if (trpcCode(err) === "NOT_FOUND" && /procedure/i.test(String((err as Error).message))) {
          this.mapRoute = false;
          return;
        }
        throw err;
      }
      for (const p of points) state.posted.add(p.imageId);
    }
    this.mapRoute = true;
  }

  /**
   * Near-duplicate groups (issue 17, item 3; near-duplicates.ts): found again when the project's images changed (pixels
   * and this encoder's embeddings), flagged again when labels moved across the held-out split, posted when either
   * changed what the server has. Projects past cfg.duplicatesMaxImages are left out (the candidate search is
   * quadratic). A server without the route is asked once.
   */
  private async postDuplicates(lease: LeaseKeeper, state: ProjectState, emb: Embeddings): Promise<void> {
    if (this.duplicatesRoute === false) return;
    // The first pass over a project compares tens of thousands of pairs (about a minute for 3,000 small images on two
    // cores): it waits until the learning loop has made its first student, unless too few labels mean no fine-tune is
    // coming. After that, known pairs are not compared again and passes are short.
    const labels = state.images.filter((i) => i.labelClassId !== null).length;
    if (this.duplicates.verified.size === 0 && labels >= this.cfg.minLabels && !state.models.some((m) => m.stage === "DISTIL")) return;
    const images = state.images.filter((i) => emb.row.has(i.id) && this.cache.workingCopy(i.id));
    if (images.length < 2 || images.length > this.cfg.duplicatesMaxImages) return;
    const imagesKey = `${emb.encoderVersionId}:${images.length}:${images.map((i) => i.id).join(",")}`;
    const { heldOut } = splitLabels(
      state.images.filter((i) => i.labelClassId !== null),
      this.cfg.minLabelsForHoldout,
      this.cfg.minHeldOut,
    );
    if (imagesKey !== this.duplicates.imagesKey) {
      const started = Date.now();
      const dim = emb.features.shape[1];
      const all = await emb.features.data();
      const data = new Float32Array(images.length * dim);
      images.forEach((img, k) => data.set(all.subarray(emb.row.get(img.id)! * dim, (emb.row.get(img.id)! + 1) * dim), k * dim));
      const known = this.duplicates.verified.size;
      const groups = await findDuplicateGroups(
        images,
        images.map((i) => this.cache.workingCopy(i.id)!),
        { data, dim },
        heldOut.length > 0,
        this.duplicates.verified,
      );
      this.duplicates = { ...this.duplicates, imagesKey, groups };
      if (known) this.log(`near-duplicates: ${known} pairs compared before were not compared again`);
      this.log(`near-duplicates: ${groups.length} groups among ${images.length} images in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    // The same images found before: only the held-out flags can have moved with the labels.
    const now = new Map(state.images.map((i) => [i.id, i]));
    const groups = this.duplicates.groups.map((g) => ({
      ...g,
      straddlesHoldout: straddlesHoldout(
        g.imageIds.map((id) => now.get(id)!),
        heldOut.length > 0,
      ),
    }));
    const postedKey = JSON.stringify(groups);
    if (postedKey === this.duplicates.postedKey) return;
    try {
      const r = await this.api.trpc.postDuplicateGroups.mutate({ projectId: this.projectId, leaseId: lease.leaseId, groups: groups.slice(0, 2000) });
      this.duplicates.postedKey = postedKey;
      this.duplicatesRoute = true;
      if (r.open) this.log(`near-duplicates: ${r.open} groups open for review${r.settled ? `, ${r.settled} settled before` : ""}`);
    } catch (err) {
      if (trpcCode(err) === "NOT_FOUND" && /procedure/i.test(String((err as Error).message))) {
        this.duplicatesRoute = false;
        return;
      }
      throw err;
    }
  }

  /**
   * Possible label errors (issue 17): confident learning on out-of-fold kNN probabilities of every human label
   * (label-issues.ts), on the feature rows the quick head last chose for this encoder (its embeddings at first), sent
   * as the project's current list. From 20 labels in two classes; a server without the route is asked once.
   */
  private async postLabelIssues(
    lease: LeaseKeeper,
    versionId: string,
    labelled: { id: string; labelClassId: string | null }[],
    classIds: string[],
    rows: (ids: string[], f: QuickFeatures) => tf.Tensor2D,
  ): Promise<void> {
    if (this.labelIssuesRoute === false || labelled.length < 20) return;
    const index = new Map(classIds.map((c, i) => [c, i]));
    const labels = labelled.map((i) => index.get(i.labelClassId!)!);
    const features: QuickFeatures = this.choice?.encoderVersionId === versionId ? this.choice.features : "encoder";
    const k = this.choice?.encoderVersionId === versionId && this.choice.method === "knn" && this.choice.k ? this.choice.k : 10;
    const x = rows(
      labelled.map((i) => i.id),
      features,
    );
    const probabilities = await outOfFoldProbabilities(x, labels, classIds.length, k).finally(() => x.dispose());
    const items = findLabelIssues(probabilities, labels, classIds.length).map((f) => ({
      imageId: labelled[f.row]!.id,
      givenClassId: classIds[f.given]!,
      suggestedClassId: classIds[f.suggested]!,
      selfConfidence: round4(f.selfConfidence),
      suggestedConfidence: round4(f.suggestedConfidence),
    }));
    try {
      const r = await this.api.trpc.postLabelIssues.mutate({ projectId: this.projectId, leaseId: lease.leaseId, modelVersionId: versionId, items });
      if (r.open) this.log(`possible label errors: ${r.open} of ${labelled.length} labels for a second look (${features}, kNN k=${k}, out of fold)`);
      this.labelIssuesRoute = true;
    } catch (err) {
      if (trpcCode(err) === "NOT_FOUND" && /procedure/i.test(String((err as Error).message))) {
        this.labelIssuesRoute = false;
        return;
      }
      throw err;
    }
  }

  private disposeEmbeddings(): void {
    if (!this.embeddings) return;
    this.embeddings.encoder.dispose();
    this.embeddings.features.dispose();
    this.embeddings.pixels.dispose();
    this.embeddings = null;
  }

  dispose(): void {
    this.disposeEmbeddings();
  }
}

function argmaxAt(p: Float32Array, row: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (p[row * k + c]! > p[row * k + best]!) best = c;
  return best;
}
