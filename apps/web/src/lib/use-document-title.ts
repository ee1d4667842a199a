// Sets the browser tab's title once the page knows what to call itself (undefined while loading).
import { useEffect } from "react";

export function useDocumentTitle(title: string | undefined) {
  useEffect(() => {
    if (title) document.title = `${title} · fewlabel`;
  }, [title]);
}
