// True once a service worker controls this page, i.e. the precached shell will load without a network.
import { useEffect, useState } from 'preact/hooks';

export function useOfflineReady(): boolean {
  const sw = 'serviceWorker' in navigator ? navigator.serviceWorker : undefined;
  const [ready, setReady] = useState(() => Boolean(sw?.controller));
  useEffect(() => {
    if (!sw) return undefined;
    // The worker calls clients.claim() on activation, which fires controllerchange on this page.
    const update = () => setReady(Boolean(sw.controller));
    sw.addEventListener('controllerchange', update);
    update();
    return () => sw.removeEventListener('controllerchange', update);
  }, [sw]);
  return ready;
}
