import { useEffect, useRef, useState } from "react";

export const FLASH_MS = 1500;

/**
 * A counter that goes up each time `value` changes after the first render,
 * plus whether a flash is showing. The counter serves as a React key so the
 * CSS animation restarts on back-to-back changes; the first value that
 * arrives is not a "change" and does not flash.
 */
export function useChangeFlash(value: unknown, durationMs = FLASH_MS): { flashing: boolean; generation: number } {
  const previous = useRef(value);
  const [generation, setGeneration] = useState(0);
  const [flashing, setFlashing] = useState(false);

  useEffect(() => {
    const before = previous.current;
    previous.current = value;
    if (Object.is(before, value) || before === undefined) return;
    setGeneration((g) => g + 1);
    setFlashing(true);
  }, [value]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: generation restarts the timer when a change lands mid-flash.
  useEffect(() => {
    if (!flashing) return;
    const timer = setTimeout(() => setFlashing(false), durationMs);
    return () => clearTimeout(timer);
  }, [flashing, generation, durationMs]);

  return { flashing, generation };
}
