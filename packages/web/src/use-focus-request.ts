/**
 * Moving focus after an action, to an element that may not exist yet: the
 * request names an element id, and it is focused after the render that the
 * same action's state change produces. Targets are headings or regions with
 * tabIndex={-1} (focusable by script, not a tab stop), so a keyboard or screen
 * reader user lands on what the action brought, not at the top of the page.
 */
import { useEffect, useState } from "react";

export function useFocusRequest(): (elementId: string) => void {
  const [target, setTarget] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (target === undefined) return;
    document.getElementById(target)?.focus();
    setTarget(undefined);
  }, [target]);
  return setTarget;
}
