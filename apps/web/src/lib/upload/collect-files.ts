// Turning what the person dropped or picked into files with their relative paths: folder names matter (they become
// labels, ImageNet-style), so dropped directories are walked through the File and Directory Entries API.

export interface UploadItem {
  file: File;
  /** Relative path such as `cats/001.jpg`; sent as the multipart part's filename. */
  path: string;
}

/** OS litter that is never an image the person meant to upload (Finder, Explorer, macOS zip resource forks). */
export function isSystemFile(path: string): boolean {
  const parts = path.split("/");
  const base = parts[parts.length - 1] ?? "";
  return parts.includes("__MACOSX") || base.startsWith(".") || /^(thumbs\.db|desktop\.ini)$/i.test(base);
}

export function fromFileList(files: FileList | File[]): UploadItem[] {
  return Array.from(files, (file) => ({ file, path: file.webkitRelativePath || file.name })).filter((i) => !isSystemFile(i.path));
}

function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries hands out batches (100 at a time in Chrome) until it returns an empty one.
  return new Promise((resolve, reject) => {
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, out: UploadItem[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\/+/, "") || file.name });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await walk(child, out);
  }
}

/**
 * Files of a drop, folders walked recursively. Must be called inside the drop handler: the browser empties the
 * DataTransfer once the event returns, so the entries are taken synchronously before anything is awaited.
 */
export function fromDataTransfer(dt: DataTransfer): Promise<UploadItem[]> {
  const entries = Array.from(dt.items ?? [])
    .filter((i) => i.kind === "file")
    .map((i) => i.webkitGetAsEntry?.() ?? null);
  if (entries.length === 0 || entries.some((e) => e === null)) return Promise.resolve(fromFileList(dt.files));
  return (async () => {
    const out: UploadItem[] = [];
    for (const e of entries) await walk(e!, out);
    return out.filter((i) => !isSystemFile(i.path));
  })();
}
