// Vetting of a path found inside an uploaded archive (or sent with a folder upload) before anything uses it:
// zip-slip paths are refused with a reason, operating-system clutter is skipped quietly, and everything else is
// normalised to "a/b/c.png" (forward slashes, no "." or empty segments).

export type ArchivePathCheck = { kind: "file"; path: string } | { kind: "skip"; why: "directory" | "hidden" | "macos_metadata" } | { kind: "unsafe"; message: string };

export function checkArchivePath(rawPath: string): ArchivePathCheck {
  // Windows tools write backslashes; treat them as separators so "..\\x" cannot slip through as one segment.
  const path = rawPath.replace(/\\/g, "/");
  if (path.includes("\0")) return { kind: "unsafe", message: "The path contains a NUL character." };
  if (path.startsWith("/")) return { kind: "unsafe", message: `Absolute path ${JSON.stringify(rawPath)} is not allowed.` };
  if (/^[A-Za-z]:/.test(path)) {
    return { kind: "unsafe", message: `Path ${JSON.stringify(rawPath)} starts with a drive letter, which is not allowed.` };
  }
  const rawSegments = path.split("/");
  if (rawSegments.includes("..")) {
    return {
      kind: "unsafe",
      message: `Path ${JSON.stringify(rawPath)} contains "..", which could write outside the upload folder.`,
    };
  }
  if (path.endsWith("/")) return { kind: "skip", why: "directory" };
  const segments = rawSegments.filter((segment) => segment !== "" && segment !== ".");
  if (segments.length === 0) return { kind: "skip", why: "directory" };
  if (segments.includes("__MACOSX")) return { kind: "skip", why: "macos_metadata" };
  if (segments.some((segment) => segment.startsWith("."))) return { kind: "skip", why: "hidden" };
  return { kind: "file", path: segments.join("/") };
}
