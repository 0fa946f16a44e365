// Registers the service worker (dist/pwa/sw.js) that precaches the shell so the app opens offline, and
// later receives push. Registration failing is not fatal: the app still works online.
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  // After load, so precaching the shell does not compete with the first render for bandwidth.
  addEventListener('load', () => {
    // updateViaCache 'none': the browser always revalidates sw.js itself, so a new release is seen on the
    // next visit even behind an HTTP cache.
    navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' }).catch((err: unknown) => {
      console.warn('tandem: service worker registration failed; offline use is unavailable', err);
    });
  });
}
