"use client";
// Where images come in: drop files, folders or .zip archives, or pick files or a whole folder.
import { type DragEvent, useRef, useState } from "react";
import { fromDataTransfer, fromFileList, type UploadItem } from "~/lib/upload/collect-files";
import { buttonClass } from "../ui/button";

export function UploadDropzone({ onFiles, disabled = false, large = false }: { onFiles: (items: UploadItem[]) => void; disabled?: boolean; large?: boolean }) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    depth.current = 0;
    setOver(false);
    if (disabled) return;
    void fromDataTransfer(e.dataTransfer).then(onFiles);
  };
  const onPicked = (input: HTMLInputElement | null) => {
    if (!input?.files) return;
    onFiles(fromFileList(input.files));
    input.value = "";
  };
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes("Files");

  return (
    <div
      data-testid="upload-dropzone"
      aria-disabled={disabled}
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth.current++;
        setOver(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = disabled ? "none" : "copy";
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDrop={onDrop}
      className={`flex rounded-lg border-2 border-dashed transition-colors ${
        over ? "border-indigo-500 bg-indigo-50" : "border-slate-300 bg-white"
      } ${large ? "flex-col items-center gap-4 px-6 py-16 text-center" : "flex-wrap items-center justify-between gap-3 px-4 py-3"} ${disabled ? "opacity-60" : ""}`}
    >
      <div className={large ? "space-y-1" : "flex items-center gap-3"}>
        <UploadIcon className={large ? "mx-auto mb-2 size-10 text-slate-400" : "size-5 shrink-0 text-slate-400"} />
        <p className={large ? "text-base font-semibold text-slate-900" : "text-sm text-slate-700"}>
          {over ? "Drop to upload" : large ? "Drop images, folders or .zip archives here" : "Drop images, folders or .zip archives here to upload"}
        </p>
        {large && (
          <p className="max-w-md text-sm text-slate-500">
            JPEG, PNG, WebP, GIF, TIFF or BMP. Folder names become labels (<code className="text-xs">cats/001.jpg</code> → cats), and a <code className="text-xs">filename,label</code> CSV labels the
            images it names.
          </p>
        )}
      </div>
      <div className="flex gap-2">
        <button type="button" className={buttonClass(large ? "primary" : "secondary", large ? "md" : "sm")} disabled={disabled} onClick={() => fileInput.current?.click()}>
          Choose files
        </button>
        <button type="button" className={buttonClass("secondary", large ? "md" : "sm")} disabled={disabled} onClick={() => folderInput.current?.click()}>
          Choose folder
        </button>
      </div>
      <input
        ref={fileInput}
        data-testid="upload-input"
        type="file"
        multiple
        accept="image/*,.zip,.csv,.tif,.tiff,.bmp"
        className="sr-only"
        tabIndex={-1}
        disabled={disabled}
        onChange={(e) => onPicked(e.currentTarget)}
      />
      <input
        ref={(el) => {
          folderInput.current = el;
          // webkitdirectory is not in React's attribute types; set it on the element.
          el?.setAttribute("webkitdirectory", "");
        }}
        data-testid="upload-folder-input"
        type="file"
        multiple
        className="sr-only"
        tabIndex={-1}
        disabled={disabled}
        onChange={(e) => onPicked(e.currentTarget)}
      />
    </div>
  );
}

function UploadIcon({ className }: { className: string }) {
  return (
    <svg className={className} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
      <path d="M12 16V4m0 0-4 4m4-4 4 4" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" strokeLinecap="round" />
    </svg>
  );
}
