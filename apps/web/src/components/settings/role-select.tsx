// Choosing a project role, with what each role may do in the option text.
import type { Role } from "~/lib/api-types";
import { inputClass } from "../ui/field";

export const roleOptions: { value: Role; label: string }[] = [
  { value: "ANNOTATOR", label: "Annotator: labels images" },
  { value: "REVIEWER", label: "Reviewer: also uploads and reviews" },
  { value: "OWNER", label: "Owner: also manages classes and people" },
];

export function RoleSelect({ value, onChange, disabled = false, label = "Role", short = false }: { value: Role; onChange: (r: Role) => void; disabled?: boolean; label?: string; short?: boolean }) {
  return (
    <select aria-label={label} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as Role)} className={inputClass(false, "w-auto py-1.5 pr-8")}>
      {roleOptions.map((r) => (
        <option key={r.value} value={r.value}>
          {short ? r.label.split(":")[0] : r.label}
        </option>
      ))}
    </select>
  );
}
