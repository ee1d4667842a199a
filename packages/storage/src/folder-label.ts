// Labels from folder structure, ImageNet style: "cat/001.jpg" and "train/cat/001.jpg" are both labelled "cat" (the
// immediate parent folder is the class); a file at the top level has no label.
import { checkArchivePath } from "./archive-path";

export function labelFromFolderPath(path: string): string | null {
  const checked = checkArchivePath(path);
  if (checked.kind !== "file") return null;
  const segments = checked.path.split("/");
  if (segments.length < 2) return null;
  const label = segments[segments.length - 2]!.normalize("NFC").trim();
  return label === "" ? null : label;
}
