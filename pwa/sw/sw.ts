// The PWA's service worker: precaches the app shell so Tandem opens offline, and turns pushes into
// notifications. Built as one IIFE (dist/pwa/sw.js); workbox-build's injectManifest then replaces
// self.__WB_MANIFEST with the list of shell files and their revision hashes.
import { cleanupOutdatedCaches, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | PrecacheEntry)[] };

// Serves index.html (also for "/", Workbox's directoryIndex), the bundles, CSS, manifest and icons from
// the cache. Everything else (/healthz, /v1/ws, blobs) goes to the network untouched.
precacheAndRoute(self.__WB_MANIFEST);
// Drop caches left by older Workbox versions' formats, so an upgrade does not strand storage.
cleanupOutdatedCaches();

// A new release takes over at once rather than waiting for every tab to close: the shell holds no state
// of its own (data lives in IndexedDB, which both versions share), so mixing an old page with a new worker
// is safe, and a fix reaches users on their next load. clients.claim() makes the first visit offline-capable
// without a reload.
self.addEventListener('install', () => {
  void self.skipWaiting();
});
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

// Push payloads are end-to-end encrypted message wake-ups; until the sync engine exists the worker cannot
// decrypt anything, and it must never put relay-visible data in a notification. So: a content-free notice.
// A push must always show a notification (browsers penalise silent pushes).
self.addEventListener('push', (event) => {
  event.waitUntil(
    self.registration.showNotification('Tandem', {
      body: 'New message',
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-48.png',
      // One notice for a burst of pushes, not a stack of identical ones.
      tag: 'tandem-new-message',
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(focusOrOpen());
});

async function focusOrOpen(): Promise<void> {
  const scope = self.registration.scope;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const existing = windows.find((w) => w.url.startsWith(scope));
  if (existing) {
    await existing.focus();
    return;
  }
  await self.clients.openWindow(scope);
}
