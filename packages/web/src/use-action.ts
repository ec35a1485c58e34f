import { useCallback, useRef, useState } from "react";
import { explainError, type FanMessage } from "./errors.js";

/**
 * A button's async action: pending while it runs (so the button can say so and
 * not be pressed twice), and its failure kept as a fan-facing message instead
 * of being swallowed.
 */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>, onDone: (result: R) => void) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<FanMessage | undefined>(undefined);
  const running = useRef(false);

  const run = useCallback(
    async (...args: A) => {
      if (running.current) return;
      running.current = true;
      setPending(true);
      setError(undefined);
      try {
        onDone(await action(...args));
      } catch (failure) {
        setError(explainError(failure));
      } finally {
        running.current = false;
        setPending(false);
      }
    },
    [action, onDone],
  );
  return { run, pending, error };
}
