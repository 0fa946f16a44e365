// The app shell: header, the relay status, and a footer that says whether the app works offline yet.
// Screens (chats, devices, settings) arrive with their issues; this is the frame they render into.
import { RelayStatus } from './components/relay-status.tsx';
import { useOfflineReady } from './use-offline-ready.ts';

export function App() {
  const offlineReady = useOfflineReady();
  return (
    <div class="shell">
      <header class="topbar">
        <img class="logo" src="/icons/icon-48.png" width={32} height={32} alt="" />
        <h1>Tandem</h1>
      </header>
      <main class="content">
        <p class="lede">End-to-end encrypted messages across all your devices. Your relay only ever sees ciphertext.</p>
        <RelayStatus />
      </main>
      <footer class="footer">
        <span data-field="offline-ready" data-ready={String(offlineReady)}>
          {offlineReady ? 'Available offline' : 'Preparing offline use…'}
        </span>
      </footer>
    </div>
  );
}
