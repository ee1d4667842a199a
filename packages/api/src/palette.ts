// Colours handed to classes created without one (folder imports, quick adds, the new-project form): distinct and
// readable on white. Browser-safe: the web UI imports it too.
export const classPalette = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#469990", "#808000"];
