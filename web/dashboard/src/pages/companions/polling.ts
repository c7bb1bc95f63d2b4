// Polling a resource while it is being prepared: `fetchOnce` every `everyMs` while `active`, stopping
// when the component goes away (or `active` turns false). The caller's state holds the answers.
import { useEffect } from "preact/hooks";

export function usePolling(active: boolean, everyMs: number, fetchOnce: () => Promise<void>, deps: unknown[]): void {
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer = 0;
    const tick = async () => {
      try {
        await fetchOnce();
      } finally {
        if (!stopped) timer = window.setTimeout(() => void tick(), everyMs);
      }
    };
    timer = window.setTimeout(() => void tick(), everyMs);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [active, everyMs, ...deps]);
}
